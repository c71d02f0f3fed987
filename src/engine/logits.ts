import type { Logits } from '../core/model.js';

/** Request `slot` of a batched [B, rowsPerItem, vocab] logits array, limited to its own `rows`. */
export function sliceLogits(all: Float32Array, slot: number, rowsPerItem: number, rows: number, vocabSize: number): Logits {
  const base = slot * rowsPerItem * vocabSize;
  return {
    rows,
    vocabSize,
    row(i: number): Float32Array {
      if (i < 0 || i >= rows) throw new RangeError(`logits row ${i} is outside 0..${rows - 1}`);
      return all.subarray(base + i * vocabSize, base + (i + 1) * vocabSize);
    },
  };
}
