export { randomLeaf, randomTree } from '../../src/tree/random-tree.js';

/** Largest absolute elementwise difference. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
