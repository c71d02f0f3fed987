import { treeDepths, type TreeShape } from './tree.js';

/**
 * Positions and the topology-aware attention bias of one request in a
 * (possibly batched and padded) tree forward. Forward rows: row 0 = the root,
 * row i+1 = tree node i; rows >= 1 + n are padding.
 *
 * Written into preallocated slices of the batch tensors:
 *   positions: [rows]               committedLength + depth(row) (padding: 0)
 *   bias:      [rows, pastLen + rows] 0 where the row may attend, -inf elsewhere:
 *              the request's committed columns < committedLength, itself and
 *              its tree ancestors (columns pastLen + ancestor row). Padding
 *              rows attend only to themselves (keeps softmax finite).
 * `pastLen` >= committedLength is the padded past length of the batch.
 */
export function writeTreeLayout(
  tree: TreeShape,
  committedLength: number,
  pastLen: number,
  rows: number,
  positions: BigInt64Array,
  bias: Float32Array,
): void {
  const n = tree.tokens.length;
  const width = pastLen + rows;
  bias.fill(-Infinity);
  positions.fill(0n);
  const depth = treeDepths(tree.parents);
  for (let r = 0; r < rows; r++) {
    const rowBias = bias.subarray(r * width, (r + 1) * width);
    if (r > n) {
      rowBias[pastLen + r] = 0;
      continue;
    }
    positions[r] = BigInt(committedLength + (r === 0 ? 0 : depth[r - 1]));
    rowBias.fill(0, 0, committedLength);
    // Walk self -> root over forward rows (node i is row i + 1, its parent row parents[i] + 1).
    for (let a = r; ; a = tree.parents[a - 1] + 1) {
      rowBias[pastLen + a] = 0;
      if (a === 0) break;
    }
  }
}
