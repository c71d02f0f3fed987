import { ConfigError, TokenizerError } from '../../core/errors.js';
import type { Tokenizer } from './tokenizer.js';
import { LLAMA2C_SPECIALS, type Llama2cVocab } from './llama2c-vocab.js';

const EMPTY = new Uint8Array(0);

/**
 * The llama2.c tokenizer with run.c's exact semantics (Karpathy's llama2.c,
 * `encode()` and `decode()`).
 *
 * Pieces are looked up by their raw bytes (each byte as one latin1 char), so
 * pieces that are not valid UTF-8 on their own (e.g. "\xe2\x80") are keyed
 * exactly as run.c's strcmp sees them. If a piece occurs twice, the lowest id
 * wins (run.c's bsearch over a qsort-ed array picks an unspecified one; the
 * shipped vocabularies have no duplicates).
 *
 * Differences from run.c, all in inputs run.c cannot receive or prints
 * differently: a U+0000 in the text is encoded as an ordinary byte (run.c's C
 * string would end there); BOS, EOS and unk (ids 0-2, whose pieces are
 * "\n<s>\n" etc. in tok512.bin) print nothing; `<0xNN>` prints its byte even
 * when run.c's safe_printf would suppress a lone non-printable byte.
 *
 * A vocabulary with `special` ids (read from GGUF or tokenizer.json) gets
 * those BOS/EOS ids; its control tokens are never matched as text and print
 * nothing, and byte fallback uses its `<0xNN>` pieces (unk when absent).
 * Without `special`, run.c's fixed layout applies as described above.
 */
export class Llama2cTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly source: string;
  private readonly ids = new Map<string, number>(); // latin1(piece bytes) -> lowest id
  private readonly keys: string[]; // [vocab] latin1(piece bytes)
  private readonly scores: Float32Array;
  private readonly printed: Uint8Array[]; // [vocab] bytes printed after a non-BOS token
  private readonly printedAfterBos: Uint8Array[]; // [vocab] same, with a leading space dropped
  private readonly byteIds: Int32Array; // [256] byte fallback id of each byte

  constructor(vocab: Llama2cVocab) {
    this.vocabSize = vocab.pieces.length;
    this.source = vocab.file;
    this.scores = vocab.scores;
    const special = vocab.special ?? LLAMA2C_SPECIALS;
    this.bosId = special.bosId;
    this.eosId = special.eosId;
    const silent = new Set(special.controlIds);
    const notText = vocab.special ? silent : new Set<number>();
    this.keys = vocab.pieces.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('latin1'));
    this.keys.forEach((k, id) => {
      if (!this.ids.has(k) && !notText.has(id)) this.ids.set(k, id);
    });
    this.printed = vocab.pieces.map((p, id) => printedBytes(p, silent.has(id)));
    this.printedAfterBos = vocab.pieces.map((p, id) => printedBytes(p[0] === 0x20 ? p.subarray(1) : p, silent.has(id)));
    this.byteIds = Int32Array.from({ length: 256 }, (_, b) => {
      if (!vocab.special) return b + 3; // run.c
      const id = this.lookup(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      return id >= 0 ? id : special.unkId;
    });
  }

  /** The id of the piece with exactly these bytes (given as a latin1 string), or -1. */
  lookup(latin1Key: string): number {
    return this.ids.get(latin1Key) ?? -1;
  }

  /**
   * run.c's encode: [BOS], then for non-empty text the dummy-prefix token " ",
   * then one token per UTF-8 character (or its bytes + 3 when the character is
   * not a piece), then BPE merges by highest piece score (first pair on ties).
   */
  encode(text: string, opts?: { bos?: boolean }): Int32Array {
    const out: number[] = [];
    if (opts?.bos ?? true) out.push(this.bosId);
    if (text.length > 0) {
      const space = this.lookup(' ');
      if (space < 0) throw new TokenizerError(this.source, 'the vocabulary has no " " piece, needed as the dummy prefix to encode text');
      out.push(space);
    }
    this.pushCharacters(Buffer.from(text, 'utf8'), out);
    return this.merge(Int32Array.from(out));
  }

  pieceBytes(prev: number, token: number): Uint8Array {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new TokenizerError(this.source, `token id ${token} is outside the vocabulary [0, ${this.vocabSize})`);
    }
    return prev === this.bosId ? this.printedAfterBos[token] : this.printed[token];
  }

  /** run.c's character loop: a UTF-8 character (lead byte + up to 3 continuation bytes) is one lookup. */
  private pushCharacters(bytes: Buffer, out: number[]): void {
    let i = 0;
    while (i < bytes.length) {
      let end = i + 1;
      while (end < bytes.length && (bytes[end] & 0xc0) === 0x80 && end - i < 4) end++;
      const id = this.lookup(bytes.toString('latin1', i, end));
      if (id >= 0) out.push(id);
      else {
        for (let j = i; j < end; j++) {
          const b = this.byteIds[bytes[j]];
          if (b < 0) throw new TokenizerError(this.source, `cannot encode byte 0x${bytes[j].toString(16)}: no <0xNN> piece and no unknown token`);
          out.push(b);
        }
      }
      i = end;
    }
  }

  /**
   * run.c's merge loop: while some adjacent pair's concatenation is a piece,
   * merge the pair with the highest score (strictly greater than the best so
   * far, starting from -1e10, so the leftmost pair wins ties). The pair
   * lookups are cached per position (a pair's result depends only on its two
   * tokens), so each merge costs one O(n) scan of numbers.
   */
  private merge(tokens: Int32Array): Int32Array {
    let n = tokens.length;
    const pairId = new Int32Array(Math.max(n - 1, 0));
    const pairScore = new Float64Array(Math.max(n - 1, 0));
    const setPair = (i: number): void => {
      const id = this.lookup(this.keys[tokens[i]] + this.keys[tokens[i + 1]]);
      pairId[i] = id;
      pairScore[i] = id >= 0 ? this.scores[id] : -Infinity;
    };
    for (let i = 0; i < n - 1; i++) setPair(i);
    for (;;) {
      let best = -1e10;
      let bestIdx = -1;
      for (let i = 0; i < n - 1; i++) {
        if (pairScore[i] > best) {
          best = pairScore[i];
          bestIdx = i;
        }
      }
      if (bestIdx < 0) break;
      tokens[bestIdx] = pairId[bestIdx];
      tokens.copyWithin(bestIdx + 1, bestIdx + 2, n);
      pairId.copyWithin(bestIdx + 1, bestIdx + 2, n - 1);
      pairScore.copyWithin(bestIdx + 1, bestIdx + 2, n - 1);
      n--;
      if (bestIdx > 0) setPair(bestIdx - 1);
      if (bestIdx < n - 1) setPair(bestIdx);
    }
    return tokens.slice(0, n);
  }
}

/** What run.c prints for a piece: `<0xNN>` is that byte; unk/BOS/EOS (silent tokens) print nothing. */
function printedBytes(piece: Uint8Array, silent: boolean): Uint8Array {
  if (silent) return EMPTY;
  const text = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('latin1');
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
  return m ? Uint8Array.of(parseInt(m[1], 16)) : piece;
}

/**
 * A synthetic byte-level vocabulary of `vocabSize` pieces (all scores 0, so
 * nothing merges): <unk>, <s>, </s>, the 256 byte pieces <0x00>..<0xFF>, then
 * the printable ASCII characters " " first (so the dummy prefix exists), then
 * `<fill_N>` pieces up to the size. Needs vocabSize >= 260.
 */
export function byteLevelVocab(vocabSize: number, file = `synthetic:byte-level:${vocabSize}`): Llama2cVocab {
  if (!Number.isInteger(vocabSize) || vocabSize < 260) {
    throw new ConfigError(`a byte-level vocabulary needs at least 260 tokens (3 special, 256 bytes, " "), got ${vocabSize}`);
  }
  const texts = ['<unk>', '<s>', '</s>'];
  for (let b = 0; b < 256; b++) texts.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  for (let c = 0x20; c < 0x7f && texts.length < vocabSize; c++) texts.push(String.fromCharCode(c));
  while (texts.length < vocabSize) texts.push(`<fill_${texts.length}>`);
  const pieces = texts.map((t) => new Uint8Array(Buffer.from(t, 'latin1')));
  return { file, maxTokenLength: Math.max(...pieces.map((p) => p.length)), pieces, scores: new Float32Array(vocabSize) };
}
