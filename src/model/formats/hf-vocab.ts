import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TokenizerError } from '../../core/errors.js';
import { SPM_SPACE } from './hf-tokenizer.js';
import type { Llama2cVocab } from './llama2c-vocab.js';
import { brief } from './bounds.js';

const ONE_BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;
const BYTE_RUN = /^(?:<0x[0-9A-Fa-f]{2}>){2,}$/;

/** The fields of tokenizer.json's "model" that are read; each is checked before use. */
interface TokenizerJsonModel {
  type?: unknown;
  vocab?: unknown;
  merges?: unknown;
  unk_token?: unknown;
}

/**
 * The SentencePiece-style vocabulary (pieces and merge scores) of a Hugging
 * Face folder's `tokenizer.json`, for writers that need one (GGUF export,
 * inflation). Supported: the (pre-Llama-3) Llama tokenizer shapes, BPE with
 * U+2581 spaces and `<0xNN>` byte fallback, or Unigram.
 *
 * - pieces: U+2581 becomes ' '; `<0xNN>` byte pieces keep that spelling; a
 *   run `<0xNN><0xMM>...` (hf-writer's spelling of a non-UTF-8 piece) becomes its bytes;
 * - scores: Unigram's own; for BPE, -(rank of the first merge that produces the
 *   piece), so run.c's highest-score-first merging follows the BPE merge order
 *   (pieces no merge produces get a score below every merge);
 * - special: added tokens marked special are control tokens; unk from the model,
 *   BOS / EOS from tokenizer_config.json (default "<s>", "</s>").
 */
export function vocabFromHfFolder(dir: string, vocabSize: number): Llama2cVocab {
  const file = path.join(dir, 'tokenizer.json');
  const fail = (what: string): never => {
    throw new TokenizerError(file, `${what}; exporting needs a SentencePiece-style tokenizer (Llama 1/2 BPE with byte fallback, or Unigram)`);
  };
  const json = asObject(readJson(file), 'the top level', fail);
  const model = asObject(json.model ?? {}, '"model"', fail) as TokenizerJsonModel;
  if (JSON.stringify(json.decoder ?? null).includes('"ByteLevel"')) fail('is a byte-level (GPT-2 style) tokenizer');
  if (model.type !== 'BPE' && model.type !== 'Unigram') fail(`has model type ${brief(model.type)}`);
  const texts: (string | undefined)[] = new Array<string | undefined>(vocabSize);
  const scores = new Float32Array(vocabSize);
  const put = (piece: unknown, id: unknown): void => {
    if (typeof piece !== 'string') fail(`has a piece ${brief(piece)} that is not a string`);
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) {
      fail(`piece ${brief(piece)} has id ${brief(id)}, outside the model's vocabulary of ${vocabSize}`);
    }
    texts[id as number] = piece as string;
  };
  readPieces(model.vocab ?? {}, put, scores, fail);
  const added = readAdded(json.added_tokens ?? [], fail);
  for (const t of added) put(t.content, t.id);
  const missing = texts.findIndex((t) => t === undefined);
  if (missing >= 0 || texts.length !== vocabSize) fail(`has no piece for id ${missing}`);
  if (model.type === 'BPE') bpeScores(texts as string[], readMerges(model.merges ?? [], fail), scores);
  const pieces = (texts as string[]).map(pieceBytes);
  const config = readConfig(path.join(dir, 'tokenizer_config.json'));
  const idOf = (named: unknown, fallback: string, what: string): number => {
    const content = typeof named === 'string' ? named : typeof named === 'object' && named !== null ? (named as { content?: unknown }).content : undefined;
    const id = texts.indexOf(typeof content === 'string' ? content : fallback);
    if (id < 0) fail(`has no ${what} token`);
    return id;
  };
  const unkId = typeof model.unk_token === 'string' ? texts.indexOf(model.unk_token) : -1;
  const controlIds = added.filter((t) => t.special === true).map((t) => t.id);
  if (unkId >= 0 && !controlIds.includes(unkId)) controlIds.push(unkId);
  return {
    file,
    maxTokenLength: pieces.reduce((a, p) => Math.max(a, p.length), 0),
    pieces,
    scores,
    special: { unkId, bosId: idOf(config.bos_token, '<s>', 'BOS'), eosId: idOf(config.eos_token, '</s>', 'EOS'), controlIds },
  };
}

type Fail = (what: string) => never;

function asObject(v: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** model.vocab: {piece: id} (BPE) or [[piece, score], ...] (Unigram, ids by position). */
function readPieces(vocab: unknown, put: (piece: unknown, id: unknown) => void, scores: Float32Array, fail: Fail): void {
  if (!Array.isArray(vocab)) {
    for (const [piece, id] of Object.entries(asObject(vocab, '"model.vocab"', fail))) put(piece, id);
    return;
  }
  vocab.forEach((entry: unknown, id) => {
    if (!Array.isArray(entry) || typeof entry[1] !== 'number') fail(`model.vocab[${id}] is ${brief(entry)}, not a [piece, score] pair`);
    put((entry as unknown[])[0], id);
    scores[id] = (entry as number[])[1];
  });
}

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special?: unknown;
}

function readAdded(added: unknown, fail: Fail): AddedToken[] {
  if (!Array.isArray(added)) fail(`"added_tokens" is ${brief(added)}, not a list`);
  return (added as unknown[]).map((t, i) => {
    if (typeof t !== 'object' || t === null || typeof (t as AddedToken).content !== 'string') fail(`added_tokens[${i}] is not an object with a string "content"`);
    return t as AddedToken;
  });
}

function readMerges(merges: unknown, fail: Fail): (string | [string, string])[] {
  if (!Array.isArray(merges)) fail(`"model.merges" is ${brief(merges)}, not a list`);
  for (const [i, m] of (merges as unknown[]).entries()) {
    const pair = Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === 'string');
    if (typeof m !== 'string' && !pair) fail(`model.merges[${i}] is ${brief(m)}, neither "left right" nor [left, right]`);
  }
  return merges as (string | [string, string])[];
}

/** scores[id] = -(rank of the first merge whose result is piece id); others below every merge. */
function bpeScores(texts: readonly string[], merges: readonly (string | [string, string])[], scores: Float32Array): void {
  const ids = new Map<string, number>();
  texts.forEach((t, id) => {
    if (!ids.has(t)) ids.set(t, id);
  });
  scores.fill(-(merges.length + 1));
  for (let rank = merges.length - 1; rank >= 0; rank--) {
    const m = merges[rank];
    const [left, right] = typeof m === 'string' ? m.split(' ') : m;
    const id = ids.get(left + right);
    if (id !== undefined) scores[id] = -rank;
  }
}

function pieceBytes(piece: string): Uint8Array {
  if (ONE_BYTE_PIECE.test(piece)) return new Uint8Array(Buffer.from(piece, 'latin1'));
  if (BYTE_RUN.test(piece)) return Uint8Array.from(piece.match(/<0x(..)>/g) ?? [], (m) => parseInt(m.slice(3, 5), 16));
  return new Uint8Array(Buffer.from(piece.replaceAll(SPM_SPACE, ' '), 'utf8'));
}

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new TokenizerError(file, 'file not found');
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TokenizerError(file, `malformed JSON: ${(e as Error).message}`);
  }
}

function readConfig(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const c = readJson(file);
  return typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as Record<string, unknown>) : {};
}
