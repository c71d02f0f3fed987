import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TokenizerError } from '../core/errors.js';
import { SPM_SPACE } from './hf-tokenizer.js';
import type { Llama2cVocab } from './llama2c-vocab.js';

const ONE_BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;
const BYTE_RUN = /^(?:<0x[0-9A-Fa-f]{2}>){2,}$/;

interface TokenizerJsonModel {
  type?: string;
  vocab?: Record<string, number> | [string, number][];
  merges?: (string | [string, string])[];
  unk_token?: string | null;
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
  const json = readJson(file) as { model?: TokenizerJsonModel; added_tokens?: { id: number; content: string; special?: boolean }[]; decoder?: unknown };
  const model = json.model ?? {};
  const fail = (what: string): never => {
    throw new TokenizerError(file, `${what}; exporting needs a SentencePiece-style tokenizer (Llama 1/2 BPE with byte fallback, or Unigram)`);
  };
  if (JSON.stringify(json.decoder ?? null).includes('"ByteLevel"')) fail('is a byte-level (GPT-2 style) tokenizer');
  if (model.type !== 'BPE' && model.type !== 'Unigram') fail(`has model type ${JSON.stringify(model.type)}`);
  const texts: (string | undefined)[] = new Array<string | undefined>(vocabSize);
  const scores = new Float32Array(vocabSize);
  const vocab = model.vocab ?? {};
  const put = (piece: string, id: number): void => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) fail(`piece ${JSON.stringify(piece)} has id ${id}, outside the model's vocabulary of ${vocabSize}`);
    texts[id] = piece;
  };
  if (Array.isArray(vocab)) {
    vocab.forEach(([piece, score], id) => {
      put(piece, id);
      scores[id] = score;
    });
  } else for (const [piece, id] of Object.entries(vocab)) put(piece, id);
  const added = json.added_tokens ?? [];
  for (const t of added) put(t.content, t.id);
  const missing = texts.findIndex((t) => t === undefined);
  if (missing >= 0 || texts.length !== vocabSize) fail(`has no piece for id ${missing}`);
  if (model.type === 'BPE') bpeScores(texts as string[], model.merges ?? [], scores);
  const pieces = (texts as string[]).map(pieceBytes);
  const config = readConfig(path.join(dir, 'tokenizer_config.json'));
  const idOf = (named: unknown, fallback: string, what: string): number => {
    const content = typeof named === 'string' ? named : (named as { content?: unknown } | null)?.content;
    const id = texts.indexOf(typeof content === 'string' ? content : fallback);
    if (id < 0) fail(`has no ${what} token`);
    return id;
  };
  const unkId = typeof model.unk_token === 'string' ? texts.indexOf(model.unk_token) : -1;
  const controlIds = added.filter((t) => t.special).map((t) => t.id);
  if (unkId >= 0 && !controlIds.includes(unkId)) controlIds.push(unkId);
  return {
    file,
    maxTokenLength: pieces.reduce((a, p) => Math.max(a, p.length), 0),
    pieces,
    scores,
    special: { unkId, bosId: idOf(config.bos_token, '<s>', 'BOS'), eosId: idOf(config.eos_token, '</s>', 'EOS'), controlIds },
  };
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
