import type { Rng } from '../core/types.js';
import type { TreeShape } from '../core/tree-shape.js';

/**
 * A random tree of n nodes with depth <= maxDepth: each node's parent is
 * drawn uniformly among the root and the nodes that may still grow; tokens
 * are uniform in [3, vocabSize) (ids 0..2 are special in the stories models).
 * For tests and benchmarks.
 */
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

/** Index of a random leaf (a node without children); -1 for an empty tree. */
export function randomLeaf(rng: Rng, tree: TreeShape): number {
  const hasChild = new Set(tree.parents);
  const leaves = [...tree.parents.keys()].filter((i) => !hasChild.has(i));
  return leaves.length === 0 ? -1 : leaves[Math.floor(rng.uniform() * leaves.length)];
}
