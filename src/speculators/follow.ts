import type { Sequence } from '../core/model.js';
import type { TreeShape } from '../core/tree-shape.js';

/**
 * Moves a draft model's sequence along the target's commit: the tokens of
 * the accepted path, then the next root. The part of the path the draft had
 * scored (its last scored tree) keeps its cached rows; the rest, and the new
 * root, wait as uncached tokens for the draft's next forward. Nothing is re-encoded.
 */
export function followCommit(seq: Sequence, scored: TreeShape | null, emitted: readonly number[]): void {
  const own: number[] = [];
  if (scored) {
    let node = -1;
    for (const token of emitted.slice(0, -1)) {
      const child = childWithToken(scored, node, token);
      if (child < 0) break;
      own.push(child);
      node = child;
    }
  }
  const rest = emitted.slice(own.length);
  seq.commit(Int32Array.from(own), rest[0]);
  for (const token of rest.slice(1)) seq.commit(new Int32Array(0), token);
}

function childWithToken(tree: TreeShape, parent: number, token: number): number {
  for (let i = parent + 1; i < tree.tokens.length; i++) {
    if (tree.parents[i] === parent && tree.tokens[i] === token) return i;
  }
  return -1;
}
