import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer as LibTokenizerClass } from '@huggingface/tokenizers';
import { TokenizerError } from '../../core/errors.js';
import { brief } from './bounds.js';
import type { Tokenizer } from './tokenizer.js';

const EMPTY = new Uint8Array(0);
/** SentencePiece's visible space, U+2581, used in Llama pieces for ' '. */
export const SPM_SPACE = '\u2581';
/** One or more `<0xNN>` spellings: byte-fallback pieces (and hf-writer's spelling of non-UTF-8 pieces). */
const BYTE_PIECES = /^(?:<0x[0-9A-Fa-f]{2}>)+$/;

/**
 * The part of the library's Tokenizer used here. (Its published .d.ts files use
 * extensionless relative imports, which NodeNext resolution cannot follow, so
 * the class is typed `any` by tsc; this interface restores the checks.)
 */
interface LibEncoder {
  encode(text: string, opts: { add_special_tokens: boolean }): { ids: number[] };
}

/** The library's Tokenizer class, typed by LibEncoder. */
const LibTokenizer = LibTokenizerClass as unknown as new (json: object, config: object) => LibEncoder;

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

/** The parts of tokenizer.json this wrapper reads itself (the library reads the rest). */
interface TokenizerJson {
  model: { type?: string; vocab?: Record<string, number> | [string, number][] };
  added_tokens?: AddedTokenJson[];
  decoder?: { type?: string; decoders?: { type?: string }[] } | null;
  [key: string]: unknown;
}

/**
 * A Hugging Face `tokenizer.json` tokenizer (run by @huggingface/tokenizers)
 * behind the project's Tokenizer interface.
 *
 * - encode: the library's encoding without its post-processor; BOS is
 *   prepended here when `bos` is not false (never twice). Special tokens
 *   written in the text ("<s>", "</s>", ...) are encoded as plain text, like
 *   run.c does, not as control tokens; non-special added tokens still match.
 * - pieceBytes: run.c's print rules on the piece strings: U+2581 prints as a
 *   space, `<0xNN>` (or a run of them) as those raw bytes, a leading space of
 *   the first piece after BOS is dropped, special tokens print nothing.
 *   ByteLevel tokenizers (GPT-2 style, e.g. Llama 3) map pieces back through
 *   the GPT-2 byte <-> unicode table instead.
 */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly lib: LibEncoder;
  private readonly printed: Uint8Array[]; // [vocab] bytes printed after a non-BOS token
  private readonly printedAfterBos: Uint8Array[]; // [vocab] same, with a leading space of a text piece dropped

  /** `json`: parsed tokenizer.json; `config`: parsed tokenizer_config.json ({} if absent). */
  constructor(
    readonly source: string,
    json: unknown,
    config: Record<string, unknown>,
  ) {
    const tj = checkJson(source, json);
    const added = tj.added_tokens ?? [];
    const pieces = idToPiece(source, tj, added);
    this.vocabSize = pieces.length;
    const special = new Set(added.filter((t) => t.special).map((t) => t.id));
    this.bosId = specialId(source, pieces, config.bos_token, '<s>', 'bos');
    this.eosId = specialId(source, pieces, config.eos_token, '</s>', 'eos');
    const byteLevel = usesByteLevel(tj);
    this.printed = pieces.map((p, id) => (p === undefined || special.has(id) ? EMPTY : pieceToBytes(p, byteLevel)));
    // run.c drops the space from the piece *string* before reading `<0xNN>`, so byte pieces keep theirs.
    this.printedAfterBos = this.printed.map((b, id) => (b[0] === 0x20 && !BYTE_PIECES.test(pieces[id] ?? '') ? b.subarray(1) : b));
    try {
      this.lib = new LibTokenizer({ ...tj, added_tokens: added.filter((t) => !t.special), post_processor: null }, config);
    } catch (e) {
      throw new TokenizerError(source, `cannot be loaded by @huggingface/tokenizers: ${(e as Error).message}`);
    }
  }

  encode(text: string, opts?: { bos?: boolean }): Int32Array {
    const ids = this.lib.encode(text, { add_special_tokens: false }).ids;
    const bos = opts?.bos ?? true;
    const out = new Int32Array(ids.length + (bos ? 1 : 0));
    if (bos) out[0] = this.bosId;
    ids.forEach((id, i) => {
      if (!Number.isInteger(id)) throw new TokenizerError(this.source, `cannot encode ${JSON.stringify(text)}: no token and no unk token`);
      out[i + (bos ? 1 : 0)] = id;
    });
    return out;
  }

  pieceBytes(prev: number, token: number): Uint8Array {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new TokenizerError(this.source, `token id ${token} is outside the vocabulary [0, ${this.vocabSize})`);
    }
    return prev === this.bosId ? this.printedAfterBos[token] : this.printed[token];
  }
}

/**
 * Loads `dir/tokenizer.json` (+ `dir/tokenizer_config.json` when present) and
 * checks that it has exactly `modelVocabSize` tokens.
 */
export function loadHfTokenizer(dir: string, modelVocabSize: number): HfTokenizer {
  const file = path.join(dir, 'tokenizer.json');
  if (!existsSync(file)) {
    throw new TokenizerError(file, 'file not found (only the "fast" tokenizer.json format is supported, not tokenizer.model)');
  }
  const json = readJson(file);
  const configFile = path.join(dir, 'tokenizer_config.json');
  const config = existsSync(configFile) ? readJson(configFile) : {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TokenizerError(configFile, 'is not a JSON object');
  }
  const tok = new HfTokenizer(file, json, config as Record<string, unknown>);
  if (tok.vocabSize !== modelVocabSize) {
    throw new TokenizerError(
      file,
      `the tokenizer has ${tok.vocabSize} tokens but the model (config.json vocab_size) has ${modelVocabSize}; ` + 'is this the tokenizer that belongs to the model?',
    );
  }
  return tok;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TokenizerError(file, `malformed JSON: ${(e as Error).message}`);
  }
}

function checkJson(source: string, json: unknown): TokenizerJson {
  const j = json as Partial<TokenizerJson> | null;
  if (typeof j !== 'object' || j === null || typeof j.model !== 'object' || j.model === null) {
    throw new TokenizerError(source, 'has no "model" object (not a Hugging Face tokenizer.json)');
  }
  if (j.added_tokens !== undefined && !Array.isArray(j.added_tokens)) {
    throw new TokenizerError(source, '"added_tokens" is not a list');
  }
  const bad = (j.added_tokens ?? []).findIndex((t) => typeof t !== 'object' || t === null || typeof t.content !== 'string');
  if (bad >= 0) throw new TokenizerError(source, `added_tokens[${bad}] is not an object with a string "content"`);
  return j as TokenizerJson;
}

/**
 * Piece string of every id (model vocab, then added tokens); holes stay
 * undefined. Ids must be integers below the number of entries (a vocabulary
 * with more ids than pieces would be mostly holes).
 */
function idToPiece(source: string, tj: TokenizerJson, added: readonly AddedTokenJson[]): (string | undefined)[] {
  const vocab: unknown = tj.model.vocab ?? {};
  const fromModel: [unknown, unknown][] = Array.isArray(vocab)
    ? vocab.map((e: unknown, id) => [Array.isArray(e) ? e[0] : e, id]) // Unigram: [[piece, score], ...]
    : typeof vocab === 'object' && vocab !== null
      ? Object.entries(vocab)
      : [];
  const entries = [...fromModel, ...added.map((t): [unknown, unknown] => [t.content, t.id])];
  const pieces: (string | undefined)[] = [];
  for (const [piece, id] of entries) {
    if (typeof piece !== 'string' || !Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= entries.length) {
      throw new TokenizerError(source, `piece ${brief(piece)} has id ${brief(id)}, not a token id in [0, ${entries.length}) (the number of pieces)`);
    }
    pieces[id as number] = piece;
  }
  return Array.from(pieces); // fills holes with undefined
}

/** Id of the special token named by tokenizer_config.json (`"<s>"` or `{content}`), else of `fallback`. */
function specialId(source: string, pieces: readonly (string | undefined)[], named: unknown, fallback: string, what: string): number {
  const content = typeof named === 'string' ? named : typeof named === 'object' && named !== null ? (named as { content?: unknown }).content : undefined;
  const want = typeof content === 'string' ? content : fallback;
  const id = pieces.indexOf(want);
  if (id < 0) throw new TokenizerError(source, `has no ${what} token ${JSON.stringify(want)} (set ${what}_token in tokenizer_config.json)`);
  return id;
}

function usesByteLevel(tj: TokenizerJson): boolean {
  const d = tj.decoder;
  return d?.type === 'ByteLevel' || (d?.type === 'Sequence' && Array.isArray(d.decoders) && d.decoders.some((x) => x?.type === 'ByteLevel'));
}

/** The bytes a piece prints (before the after-BOS rule). */
export function pieceToBytes(piece: string, byteLevel = false): Uint8Array {
  if (byteLevel) {
    const table = gpt2UnicodeToByte();
    return Uint8Array.from(Array.from(piece).flatMap((ch) => (table.has(ch) ? [table.get(ch) as number] : [...Buffer.from(ch)])));
  }
  if (BYTE_PIECES.test(piece)) {
    return Uint8Array.from(piece.match(/<0x(..)>/g) ?? [], (m) => parseInt(m.slice(3, 5), 16));
  }
  return new Uint8Array(Buffer.from(piece.replaceAll(SPM_SPACE, ' '), 'utf8'));
}

let unicodeToByte: Map<string, number> | null = null;

/** GPT-2's bytes_to_unicode table, inverted: printable bytes map to themselves, the rest to U+0100 + n. */
function gpt2UnicodeToByte(): Map<string, number> {
  if (unicodeToByte) return unicodeToByte;
  unicodeToByte = new Map();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    unicodeToByte.set(String.fromCharCode(printable ? b : 256 + n++), b);
  }
  return unicodeToByte;
}
