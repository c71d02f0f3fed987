/** Row r of batch slot b of a [B, rowsPerItem, vocab] logits array, as a view. */
export function rowView(all: Float32Array, slot: number, rowsPerItem: number, r: number, vocabSize: number): Float32Array {
  const start = (slot * rowsPerItem + r) * vocabSize;
  return all.subarray(start, start + vocabSize);
}
