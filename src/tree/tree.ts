import type { TreeShape } from '../core/tree-shape.js';

export const EMPTY_TREE: TreeShape = { tokens: new Int32Array(0), parents: new Int32Array(0) };

/** A chain (width-1 tree): node i is the child of node i-1. */
export function chainTree(tokens: ArrayLike<number>): TreeShape {
  return {
    tokens: Int32Array.from(tokens),
    parents: Int32Array.from({ length: tokens.length }, (_, i) => i - 1),
  };
}

/** depth[i] of each node; children of the root have depth 1. */
export function treeDepths(parents: Int32Array): Int32Array {
  const depth = new Int32Array(parents.length);
  for (let i = 0; i < parents.length; i++) depth[i] = parents[i] < 0 ? 1 : depth[parents[i]] + 1;
  return depth;
}

/** Checks the parent invariant (-1 or an earlier index); returns an error text or null. */
export function treeShapeProblem(tree: TreeShape): string | null {
  if (tree.tokens.length !== tree.parents.length) {
    return `tokens has ${tree.tokens.length} entries but parents has ${tree.parents.length}`;
  }
  for (let i = 0; i < tree.parents.length; i++) {
    const p = tree.parents[i];
    if (p < -1 || p >= i) return `parents[${i}] = ${p} must be -1 or an index below ${i}`;
  }
  return null;
}

/** Node indices from the root's child down to `node` (inclusive), in path order. */
export function pathTo(parents: Int32Array, node: number): Int32Array {
  const path: number[] = [];
  for (let v = node; v >= 0; v = parents[v]) path.push(v);
  return Int32Array.from(path.reverse());
}

/**
 * `tree` hung below a chain: the result's root is chain[0], nodes 0..c-2 are
 * chain[1..], and tree node i becomes node c - 1 + i (its root children hang
 * below the chain's last token). Used to score uncached tokens and a tree together.
 */
export function hangBelowChain(chain: readonly number[], tree: TreeShape): TreeShape {
  const c = chain.length;
  if (c === 1) return tree;
  const n = tree.tokens.length;
  const tokens = new Int32Array(c - 1 + n);
  const parents = new Int32Array(c - 1 + n);
  for (let i = 0; i < c - 1; i++) {
    tokens[i] = chain[i + 1];
    parents[i] = i - 1;
  }
  for (let i = 0; i < n; i++) {
    tokens[c - 1 + i] = tree.tokens[i];
    parents[c - 1 + i] = tree.parents[i] < 0 ? c - 2 : tree.parents[i] + c - 1;
  }
  return { tokens, parents };
}

/** True when `tree` starts with all nodes of `prefix` (same tokens and parents). */
export function extendsTree(tree: TreeShape, prefix: TreeShape): boolean {
  const n = prefix.tokens.length;
  if (tree.tokens.length < n) return false;
  for (let i = 0; i < n; i++) {
    if (tree.tokens[i] !== prefix.tokens[i] || tree.parents[i] !== prefix.parents[i]) return false;
  }
  return true;
}
