import type { Logits } from '../../src/core/model.js';
import type { StepOutcome } from '../../src/speculators/types.js';
import { DraftTreeBuilder } from '../../src/tree/builder.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';

const NO_LOGITS: Logits = { rows: 0, vocabSize: 0, row: () => new Float32Array(0) };

/** A step outcome that emitted `emitted` (nothing accepted), over `tree` (default empty) and `target` rows. */
export function outcome(emitted: readonly number[], tree?: DraftTree, target?: Logits): StepOutcome {
  return { tree: tree ?? new DraftTreeBuilder([]).finish(), path: new Int32Array(0), emitted, target: target ?? NO_LOGITS };
}

/** Logits rows (one Float32Array per row). */
export function rowsOf(...rows: readonly (readonly number[])[]): Logits {
  const data = rows.map((r) => Float32Array.from(r));
  return { rows: rows.length, vocabSize: rows[0]?.length ?? 0, row: (i) => data[i] };
}
