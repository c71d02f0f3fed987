/**
 * Model references and loading. A reference is one of:
 *  - `random:<preset>[:<seed>]` (presets `tiny`, `stories110M`, `tinyllama`; seed default 0):
 *    random weights and a synthetic byte-level tokenizer, no files needed;
 *  - a path (anything containing a slash, or existing relative to the cwd):
 *    a folder, a llama2.c `.bin` checkpoint or a `.gguf` file;
 *  - a name: the folder `<dir>/<name>` of the first models folder that has
 *    it: $SPECINFER_MODELS alone when set; otherwise `./models` under the cwd,
 *    then the package's own `models/` (the shipped defaults: stories260K and
 *    its three drafts).
 * A folder holding `config.json` is a Hugging Face model; one holding a
 * llama2.c checkpoint is a llama2.c model: the tokenizer is `tokenizer.bin` or
 * `tok*.bin`, the checkpoint is the other `.bin` file; otherwise a folder
 * holding exactly one `.gguf` file is that GGUF model. Nothing is ever
 * downloaded here.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ModelFileError, TokenizerError } from '../core/errors.js';
import type { Tokenizer } from './formats/tokenizer.js';
import {
  convertMatrix,
  convertWeights,
  dequantizeWeights,
  type KeepQuant,
  type LAYER_MATRICES,
  type FileFloatMatrix,
  type LlamaConfig,
  type LlamaWeights,
  type Matrix,
} from './weights.js';
import { QuantStore } from './formats/quant-store.js';
import type { WeightsType } from './formats/quant.js';
import { readLlama2cCheckpoint } from './formats/llama2c.js';
import { readLlama2cVocab, type Llama2cVocab } from './formats/llama2c-vocab.js';
import { Llama2cTokenizer, byteLevelVocab } from './formats/llama2c-tokenizer.js';
import { loadHfFolderAs } from './formats/hf.js';
import { vocabFromHfFolder } from './formats/hf-vocab.js';
import { readGgufModel } from './formats/gguf.js';
import { CATALOGUE } from './pull/pull-catalogue.js';
import { randomWeights, STORIES110M_CONFIG, TINY_RANDOM_CONFIG, TINYLLAMA_CONFIG } from './random.js';

export type ModelFormat = 'llama2c' | 'hf' | 'gguf' | 'random';

/** Where a reference points, before anything is read. */
export type ResolvedModel =
  | { readonly format: 'llama2c'; readonly id: string; readonly path: string; readonly tokenizerFile: string }
  | { readonly format: 'hf'; readonly id: string; readonly path: string }
  | { readonly format: 'gguf'; readonly id: string; readonly path: string }
  | { readonly format: 'random'; readonly id: string; readonly path: string; readonly config: LlamaConfig; readonly seed: number };

/** A loaded model; `M` = Matrix when its layer matrices may be quantized (loadModelAs). */
export interface LoadedModel<M extends Matrix = Float32Array> {
  /** Short name: the folder name, the file name without `.bin` / `.gguf`, or `random:<preset>:<seed>`. */
  id: string;
  /** The checkpoint file (llama2.c, GGUF), the folder (HF), or the reference (random). */
  path: string;
  format: ModelFormat;
  weights: LlamaWeights<M>;
  tokenizer: Tokenizer;
  /**
   * The SentencePiece-style vocabulary (pieces, merge scores) behind the
   * tokenizer, when the format stores one directly (llama2.c, GGUF, random);
   * for Hugging Face folders use modelVocab(), which derives it from tokenizer.json.
   */
  vocab?: Llama2cVocab;
}

const RANDOM_PRESETS: Readonly<Record<string, LlamaConfig>> = Object.freeze({
  tiny: TINY_RANDOM_CONFIG,
  stories110M: STORIES110M_CONFIG,
  tinyllama: TINYLLAMA_CONFIG,
});

/** The package's `models/` folder: the shipped default models (this file is dist/src/model/models.js). */
export const BUNDLED_MODELS_DIR: string = fileURLToPath(new URL('../../../models', import.meta.url));

/** $SPECINFER_MODELS when set and not empty. */
function modelsEnv(): string | undefined {
  const env = process.env.SPECINFER_MODELS;
  return env !== undefined && env !== '' ? env : undefined;
}

/** Where models are written (`models pull`, benchmarks): $SPECINFER_MODELS resolved against the cwd, or `./models` when unset. */
export function modelsDir(): string {
  return path.resolve(modelsEnv() ?? 'models');
}

/** Where names are looked up, in order: $SPECINFER_MODELS alone, or `./models` then the shipped models/. */
export function modelSearchDirs(): readonly string[] {
  const first = modelsDir();
  if (modelsEnv() !== undefined || first === BUNDLED_MODELS_DIR) return [first];
  return [first, BUNDLED_MODELS_DIR];
}

/** Finds what `ref` points to (no weights are read). Throws ModelFileError/ConfigError. */
export function resolveModel(ref: string): ResolvedModel {
  if (ref.startsWith('random:')) return resolveRandom(ref);
  if (ref.trim() === '') throw new ConfigError('empty model reference: give a model name, a folder, a .bin file or random:tiny');
  if (/[\\/]/.test(ref) || existsSync(ref)) {
    const abs = path.resolve(ref);
    if (!existsSync(abs)) throw new ModelFileError(abs, `no such file or folder (model reference "${ref}")`);
    return resolvePath(abs);
  }
  for (const dir of modelSearchDirs()) {
    const candidate = path.join(dir, ref);
    if (existsSync(candidate)) return resolvePath(candidate);
  }
  throw new ModelFileError(path.join(modelsDir(), ref), notFoundProblem(ref));
}

/**
 * Resolves and reads a model: float32 weights (a GGUF's quantized tensors
 * dequantized) plus a tokenizer whose vocabulary matches the model's.
 */
export async function loadModel(ref: string): Promise<LoadedModel> {
  const m = await loadModelAs(ref);
  return { ...m, weights: dequantizeWeights(m.weights) };
}

/**
 * loadModel with the layer matrices as `weights` says (quant.ts; weights.ts
 * convertWeights); without it, as stored (a GGUF's Q8_0 / Q4_0 tensors stay quantized).
 */
export async function loadModelAs(ref: string, weights?: WeightsType): Promise<LoadedModel<Matrix>> {
  // Matrices quantized here wait in a temporary file, not in memory.
  const store = weights === undefined || weights === 'f32' ? undefined : new QuantStore();
  const keep: KeepQuant = (q) => store?.keep(q) ?? q;
  const m = await readModel(ref, weights, keep);
  return weights === undefined ? m : { ...m, weights: convertWeights(m.weights, weights, keep) };
}

/** The model as stored; a Hugging Face folder's layer matrices already converted to `weights` one at a time as they are read. */
async function readModel(ref: string, weights: WeightsType | undefined, keep: KeepQuant): Promise<LoadedModel<Matrix>> {
  const r = resolveModel(ref);
  let loaded: LoadedModel<Matrix>;
  if (r.format === 'random') {
    const vocab = byteLevelVocab(r.config.vocabSize, `${r.id} (synthetic byte-level vocabulary)`);
    loaded = { id: r.id, path: r.path, format: 'random', weights: randomWeights(r.config, r.seed), tokenizer: new Llama2cTokenizer(vocab), vocab };
  } else if (r.format === 'hf') {
    const convert = (m: FileFloatMatrix, f: (typeof LAYER_MATRICES)[number], c: LlamaConfig): Matrix => (weights === undefined ? m : convertMatrix(m, f, c, weights, keep));
    const hf = await loadHfFolderAs(r.path, convert);
    loaded = { id: r.id, path: r.path, format: 'hf', weights: hf.weights, tokenizer: hf.tokenizer };
  } else if (r.format === 'gguf') {
    const { weights, vocab } = readGgufModel(r.path);
    loaded = { id: r.id, path: r.path, format: 'gguf', weights, tokenizer: new Llama2cTokenizer(vocab), vocab };
  } else {
    const weights = readLlama2cCheckpoint(r.path);
    const vocab = readVocabFor(r.tokenizerFile, r.path, weights.config.vocabSize);
    loaded = { id: r.id, path: r.path, format: 'llama2c', weights, tokenizer: new Llama2cTokenizer(vocab), vocab };
  }
  checkVocabSizes(loaded);
  return loaded;
}

function resolveRandom(ref: string): ResolvedModel {
  const parts = ref.split(':');
  const usage = 'use random:tiny, random:stories110M or random:tinyllama, optionally with :SEED (a non-negative integer), e.g. random:tiny:3';
  const config = RANDOM_PRESETS[parts[1]];
  if (parts.length > 3 || config === undefined || !Object.hasOwn(RANDOM_PRESETS, parts[1])) {
    throw new ConfigError(`model "${ref}": unknown random model; ${usage}`);
  }
  const seedText = parts[2] ?? '0';
  if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(Number(seedText))) {
    throw new ConfigError(`model "${ref}": seed "${seedText}" is not a non-negative integer; ${usage}`);
  }
  const seed = Number(seedText);
  return { format: 'random', id: `random:${parts[1]}:${seed}`, path: ref, config, seed };
}

/**
 * The vocabulary of a loaded model (pieces and merge scores), for writers
 * (GGUF export, inflation): `m.vocab`, or for a Hugging Face folder the one
 * derived from its tokenizer.json (TokenizerError if it is not SentencePiece-style).
 */
export function modelVocab(m: LoadedModel<Matrix>): Llama2cVocab {
  if (m.vocab) return m.vocab;
  if (m.format === 'hf') return vocabFromHfFolder(m.path, m.weights.config.vocabSize);
  throw new TokenizerError(m.tokenizer.source, `model ${m.id} has no SentencePiece-style vocabulary to export`);
}

/** A folder (HF, llama2.c or GGUF), a llama2.c `.bin` file or a `.gguf` file. */
function resolvePath(abs: string): ResolvedModel {
  if (statSync(abs).isDirectory()) return resolveFolder(abs);
  const name = path.basename(abs);
  if (name.endsWith('.gguf')) return { format: 'gguf', id: path.basename(abs, '.gguf'), path: abs };
  if (isTokenizerName(name)) {
    throw new ModelFileError(abs, 'is a tokenizer file (by its name: tokenizer.bin or tok*.bin); give the checkpoint or its folder');
  }
  if (!name.endsWith('.bin')) {
    throw new ModelFileError(abs, 'is neither a folder, a llama2.c .bin checkpoint nor a .gguf file');
  }
  return { format: 'llama2c', id: path.basename(abs, '.bin'), path: abs, tokenizerFile: findTokenizer(path.dirname(abs)) };
}

function resolveFolder(dir: string): ResolvedModel {
  const id = path.basename(dir);
  if (existsSync(path.join(dir, 'config.json'))) return { format: 'hf', id, path: dir };
  const checkpoints = binFiles(dir).filter((f) => !isTokenizerName(f));
  if (checkpoints.length === 0) {
    const ggufs = filesEndingWith(dir, '.gguf');
    if (ggufs.length === 1) return { format: 'gguf', id, path: path.join(dir, ggufs[0]) };
    if (ggufs.length > 1) throw new ModelFileError(dir, `holds several GGUF files (${ggufs.join(', ')}); give the path of one of them`);
    throw new ModelFileError(dir, 'holds no model: no config.json (Hugging Face), no llama2.c checkpoint (a .bin file other than tokenizer.bin / tok*.bin) and no .gguf file');
  }
  if (checkpoints.length > 1) {
    throw new ModelFileError(dir, `holds several llama2.c checkpoints (${checkpoints.join(', ')}); give the path of one of them`);
  }
  return { format: 'llama2c', id, path: path.join(dir, checkpoints[0]), tokenizerFile: findTokenizer(dir) };
}

/** The one tokenizer (tokenizer.bin or tok*.bin) in `dir`. */
function findTokenizer(dir: string): string {
  const found = binFiles(dir).filter(isTokenizerName);
  if (found.length === 0) {
    throw new ModelFileError(dir, 'no llama2.c tokenizer in this folder (expected tokenizer.bin or tok*.bin next to the checkpoint)');
  }
  if (found.length > 1) {
    throw new ModelFileError(dir, `several tokenizer files (${found.join(', ')}); keep only the one that belongs to the checkpoint`);
  }
  return path.join(dir, found[0]);
}

function binFiles(dir: string): string[] {
  return filesEndingWith(dir, '.bin');
}

function filesEndingWith(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name.endsWith(ext) && !e.isDirectory())
    .map((e) => e.name)
    .sort();
}

function isTokenizerName(name: string): boolean {
  return name === 'tokenizer.bin' || /^tok.*\.bin$/.test(name);
}

function notFoundProblem(ref: string): string {
  const dirs = modelSearchDirs();
  const source =
    modelsEnv() !== undefined
      ? `the models folder ${dirs[0]} (from SPECINFER_MODELS)`
      : `${dirs.join(' and ')} (SPECINFER_MODELS is unset; set it to the folder that holds your models)`;
  let where = `model "${ref}" not found: searched ${source} and the current directory ${process.cwd()}`;
  const missing = dirs.filter((d) => !existsSync(d));
  if (missing.length > 0) where += `; ${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist`;
  const names = [...new Set(dirs.filter((d) => existsSync(d)).flatMap(modelFolders))].sort();
  if (names.length > 0) where += `; models there: ${names.join(', ')}`;
  const entry = Object.hasOwn(CATALOGUE, ref) ? CATALOGUE[ref] : undefined;
  const files = entry?.files.map((f) => f.file).join(' and ');
  const known = entry ? `. To get it (${entry.origin}: ${files}) into ${path.join(modelsDir(), ref)}, run \`specinfer models pull ${ref}\`` : '';
  return `${where}${known}. A model can also be given as a folder, a .bin or .gguf path, or as random:tiny, random:stories110M or random:tinyllama.`;
}

/** The sub-folders of a models folder (hidden ones, such as partial downloads, left out). */
function modelFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name);
}

/** Reads the llama2.c vocabulary with the model's size; errors name the checkpoint too. */
function readVocabFor(tokenizerFile: string, checkpoint: string, vocabSize: number): Llama2cVocab {
  try {
    return readLlama2cVocab(tokenizerFile, vocabSize);
  } catch (e) {
    if (!(e instanceof TokenizerError)) throw e;
    const problem = e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
    throw new TokenizerError(e.file, `${problem} [model ${checkpoint}: vocab_size ${vocabSize}]`);
  }
}

function checkVocabSizes(m: LoadedModel<Matrix>): void {
  const model = m.weights.config.vocabSize;
  const tok = m.tokenizer.vocabSize;
  if (model !== tok) {
    throw new TokenizerError(
      m.tokenizer.source,
      `the tokenizer has ${tok} tokens but the model ${m.path} expects a vocabulary of ${model} tokens (is this the model's own tokenizer?)`,
    );
  }
}
