import type { Rng } from '../../src/core/types.js';
import { treeDepths, type TreeShape } from '../../src/tree/tree.js';

/** A random tree of n nodes, depth <= maxDepth, parents drawn uniformly among nodes that may still grow. */
export function randomTree(rng: Rng, n: number, maxDepth: number, vocabSize: number): TreeShape {
  const tokens = new Int32Array(n);
  const parents = new Int32Array(n);
  const depth: number[] = [];
  for (let i = 0; i < n; i++) {
    const open = [-1, ...depth.flatMap((d, j) => (d < maxDepth ? [j] : []))];
    const p = open[Math.floor(rng.uniform() * open.length)];
    parents[i] = p;
    depth.push(p < 0 ? 1 : depth[p] + 1);
    tokens[i] = 3 + Math.floor(rng.uniform() * (vocabSize - 3));
  }
  return { tokens, parents };
}

/** Index of a random leaf (a node without children). */
export function randomLeaf(rng: Rng, tree: TreeShape): number {
  const hasChild = new Set(tree.parents);
  const leaves = [...tree.parents.keys()].filter((i) => !hasChild.has(i));
  return leaves[Math.floor(rng.uniform() * leaves.length)];
}

export function maxDepth(tree: TreeShape): number {
  return treeDepths(tree.parents).reduce((m, d) => Math.max(m, d), 0);
}

/** Largest absolute elementwise difference. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
