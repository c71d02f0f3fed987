/**
 * A tokenizer as the rest of the project sees it. Implementations: llama2.c
 * `tokenizer.bin` (run.c semantics) and Hugging Face `tokenizer.json`.
 */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** The file it was read from (for error messages). */
  readonly source: string;
  /** Token ids of `text`, with BOS first when `bos` is true (default true). */
  encode(text: string, opts?: { bos?: boolean }): Int32Array;
  /**
   * Bytes that `token` prints when it follows `prev`, with run.c's rules:
   * a leading space of the first piece after BOS is dropped and `<0xNN>`
   * pieces are that raw byte. Special tokens (BOS/EOS/unk) print nothing.
   */
  pieceBytes(prev: number, token: number): Uint8Array;
}

/** Decodes a token sequence (tokens[0] is normally BOS) to text. */
export function decodeText(tok: Tokenizer, tokens: ArrayLike<number>): string {
  const decoder = new TextDecoder('utf-8');
  let out = '';
  for (let i = 1; i < tokens.length; i++) {
    out += decoder.decode(tok.pieceBytes(tokens[i - 1], tokens[i]), { stream: true });
  }
  return out + decoder.decode();
}
