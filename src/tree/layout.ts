import { treeDepths } from './tree.js';
import { type TreeShape } from '../core/tree-shape.js';

/**
 * Where one request's rows sit in a (possibly batched and padded) tree forward.
 *
 * Tree rows are global: row 0 = the root, row g = tree node g - 1. The first
 * `pending` rows were scored by earlier forwards and are part of the past;
 * this forward computes rows pending..n. Past columns: [0, committed) the
 * committed tokens, [committed, committed + pending) the pending rows, then
 * padding up to `pastLen`; this forward's rows follow at pastLen + (g - pending).
 */
export interface RowPlacement {
  readonly committed: number;
  readonly pending: number;
  readonly pastLen: number; // padded past length of the batch (>= committed + pending)
  readonly rows: number; // forward rows of the batch (>= n + 1 - pending)
}

/** Past or present column of tree row g. */
function rowColumn(p: RowPlacement, g: number): number {
  return g < p.pending ? p.committed + g : p.pastLen + (g - p.pending);
}

/**
 * Writes the positions and the topology-aware attention bias of one request
 * into preallocated slices of the batch tensors:
 *   positions: [rows]                  committed + depth(row) (padding: 0)
 *   bias:      [rows, pastLen + rows]  0 where the row may attend, -inf elsewhere:
 *              the committed columns, itself and its tree ancestors. Padding
 *              rows attend only to themselves (keeps softmax finite).
 */
export function writeTreeLayout(tree: TreeShape, p: RowPlacement, positions: BigInt64Array, bias: Float32Array): void {
  const n = tree.tokens.length;
  const width = p.pastLen + p.rows;
  bias.fill(-Infinity);
  positions.fill(0n);
  const depth = treeDepths(tree.parents);
  for (let r = 0; r < p.rows; r++) {
    const row = r * width; // row r of bias starts here
    const g = p.pending + r;
    if (g > n) {
      bias[row + p.pastLen + r] = 0;
      continue;
    }
    positions[r] = BigInt(p.committed + (g === 0 ? 0 : depth[g - 1]));
    bias.fill(0, row, row + p.committed);
    // Self, then ancestors up to the root: node i is row i + 1, its parent row parents[i] + 1.
    for (let a = g; ; a = tree.parents[a - 1] + 1) {
      bias[row + rowColumn(p, a)] = 0;
      if (a === 0) break;
    }
  }
}
