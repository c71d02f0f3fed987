/** Hand-made trees and target rows for the verifiers' unit tables. */
import type { Logits } from '../../src/core/model.js';
import type { Draw, DraftTree } from '../../src/tree/draft-tree.js';
import { treeDepths } from '../../src/tree/tree.js';

/** One draw of a hand tree: the node it drew, its q (null = point mass), its proposer (default 0). */
export interface HandDraw {
  readonly child: number;
  readonly q: Float32Array | null;
  readonly proposer?: number;
}

/**
 * A DraftTree from [token, parent] pairs. Without `draws`, every node gets
 * one point-mass draw in its parent's row (node order); with `draws`, rows
 * get exactly the listed draws, in the listed order.
 */
export function handTree(nodes: readonly (readonly [number, number])[], draws?: readonly HandDraw[]): DraftTree {
  const tokens = Int32Array.from(nodes, ([t]) => t);
  const parents = Int32Array.from(nodes, ([, p]) => p);
  const rows: Draw[][] = Array.from({ length: nodes.length + 1 }, () => []);
  const list: readonly HandDraw[] = draws ?? nodes.map((_, i) => ({ child: i, q: null }));
  for (const d of list) rows[parents[d.child] + 1].push({ child: d.child, proposer: d.proposer ?? 0, q: d.q });
  const proposedBy = new Uint32Array(nodes.length);
  for (const d of list) proposedBy[d.child] |= 1 << (d.proposer ?? 0);
  return { tokens, parents, depths: treeDepths(parents), proposerIds: ['a', 'b', 'c'], proposedBy, draws: rows };
}

/** Target rows given as probabilities (logits = log p; 0 becomes -Infinity). */
export function probRows(...rows: readonly (readonly number[])[]): Logits {
  const logits = rows.map((r) => Float32Array.from(r, Math.log));
  return { rows: rows.length, vocabSize: rows[0].length, row: (i) => logits[i] };
}

/** Target rows given as raw logits. */
export function logitRows(...rows: readonly (readonly number[])[]): Logits {
  const logits = rows.map((r) => Float32Array.from(r));
  return { rows: rows.length, vocabSize: rows[0].length, row: (i) => logits[i] };
}

export const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
