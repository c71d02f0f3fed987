import { readFileSync, existsSync } from 'node:fs';
import { TokenizerError } from '../../core/errors.js';

/**
 * The llama2.c `tokenizer.bin` vocabulary: int32 max_token_length, then per
 * token float32 merge score, int32 byte length, the bytes (UTF-8 or, for
 * `<0xNN>` pieces, the ASCII spelling). Spaces are real spaces (no U+2581).
 */
export interface Llama2cVocab {
  readonly file: string;
  readonly maxTokenLength: number;
  readonly pieces: readonly Uint8Array[]; // [vocab] raw bytes of each piece
  readonly scores: Float32Array; // [vocab] merge scores (higher merges first)
  /**
   * Special tokens, for vocabularies read from richer formats (GGUF,
   * tokenizer.json). Absent for llama2.c files: run.c's fixed ids apply
   * (unk 0, BOS 1, EOS 2; every piece, even theirs, is matchable text;
   * byte fallback is byte + 3).
   */
  readonly special?: VocabSpecials;
}

/** Special ids of a vocabulary that does not follow run.c's fixed layout. */
export interface VocabSpecials {
  readonly unkId: number; // -1: none
  readonly bosId: number;
  readonly eosId: number;
  /**
   * Ids that are not text (unknown, control, unused tokens): encoding never
   * produces them and they print nothing. Byte fallback uses the `<0xNN>` pieces.
   */
  readonly controlIds: readonly number[];
}

/** run.c's special ids, as VocabSpecials (what a vocabulary without `special` means). */
export const LLAMA2C_SPECIALS: VocabSpecials = Object.freeze({ unkId: 0, bosId: 1, eosId: 2, controlIds: Object.freeze([0, 1, 2]) });

/** Reads `vocabSize` entries of a llama2.c tokenizer file (run.c needs the size from the model header). */
export function readLlama2cVocab(file: string, vocabSize: number): Llama2cVocab {
  if (!existsSync(file)) throw new TokenizerError(file, 'tokenizer file not found');
  const buf = readFileSync(file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (what: string): never => {
    throw new TokenizerError(file, `${what}; the model expects a vocabulary of ${vocabSize} tokens (is this the tokenizer that belongs to the model?)`);
  };
  if (buf.byteLength < 4) fail('file is too short to hold a llama2.c tokenizer header');
  const maxTokenLength = view.getInt32(0, true);
  const pieces: Uint8Array[] = [];
  const scores: number[] = []; // grows with the file, never sized from vocabSize
  let off = 4;
  for (let i = 0; i < vocabSize; i++) {
    if (off + 8 > buf.byteLength) fail(`file ends after ${i} tokens`);
    scores.push(view.getFloat32(off, true));
    const len = view.getInt32(off + 4, true);
    off += 8;
    if (len < 0 || off + len > buf.byteLength) fail(`token ${i} has an invalid byte length ${len}`);
    pieces.push(new Uint8Array(buf.buffer, buf.byteOffset + off, len).slice());
    off += len;
  }
  if (off !== buf.byteLength) fail(`file holds more than ${vocabSize} tokens (${buf.byteLength - off} bytes left over)`);
  return { file, maxTokenLength, pieces, scores: Float32Array.from(scores) };
}
