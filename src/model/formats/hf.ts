import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelFileError } from '../../core/errors.js';
import { brief } from './bounds.js';
import { lazyFloatMatrix, type FileFloatMatrix, type LAYER_MATRICES, type LayerWeights, type LlamaConfig, type LlamaWeights, type Matrix } from '../weights.js';
import type { Tokenizer } from './tokenizer.js';
import { openSafetensors, type LazySafetensorsTensor } from './safetensors.js';
import { loadHfTokenizer } from './hf-tokenizer.js';

type LayerMatrix = (typeof LAYER_MATRICES)[number];

/**
 * Hugging Face Llama folders: `config.json`, `model.safetensors` (or sharded
 * `model.safetensors.index.json` + shards), `tokenizer.json` and optionally
 * `tokenizer_config.json`. Supported: model_type "llama" / LlamaForCausalLM
 * without rope_scaling, biases or a head_dim other than hidden_size / heads.
 *
 * RoPE layouts: HF Llama rotates halves (dims i and i + hd/2 of a head pair
 * up); checkpoints converted from Meta / llama2.c have their q_proj and k_proj
 * rows permuted accordingly: HF row h*hd + c*(hd/2) + i holds the original
 * (adjacent-pairs) row h*hd + 2i + c, for c in {0, 1}, i < hd/2. LlamaWeights
 * uses the adjacent-pairs layout, so the loader un-permutes those rows.
 */
export async function loadHfFolder(dir: string): Promise<{ weights: LlamaWeights; tokenizer: Tokenizer }> {
  return loadHfFolderAs(dir, (m) => m.data);
}

/**
 * A layer matrix as the caller wants it held (e.g. quantized, or left in its
 * file), given it in its file (`m.data` reads its float32 values, [rows, cols]
 * row-major, Q/K rows in adjacent-pairs order).
 */
export type MatrixConverter<M extends Matrix> = (m: FileFloatMatrix, field: LayerMatrix, config: LlamaConfig) => M;

/**
 * loadHfFolder with each layer matrix converted as it is loaded: tensors are
 * read from the files one at a time, so the float32 weights of a model
 * converted to a smaller type are never all in memory at once, and matrices
 * the converter keeps as FileFloatMatrix are read only when used.
 */
export async function loadHfFolderAs<M extends Matrix>(dir: string, convert: MatrixConverter<M>): Promise<{ weights: LlamaWeights<M>; tokenizer: Tokenizer }> {
  const config = readHfConfig(path.join(dir, 'config.json'));
  const tensors = readHfTensors(dir);
  const weights = buildWeights(config, tensors, convert);
  const tokenizer = loadHfTokenizer(dir, config.llama.vocabSize);
  return { weights, tokenizer };
}

// ---------------------------------------------------------------- RoPE row layouts

/**
 * Adjacent-pairs rows -> HF rotate-half rows. `w` is [heads*hd, cols] row-major;
 * out row h*hd + c*(hd/2) + i = in row h*hd + 2i + c.
 */
export function pairsToRotateHalf(w: Float32Array, heads: number, hd: number, cols: number): Float32Array {
  return permuteRows(w, heads, hd, cols, false);
}

/** HF rotate-half rows -> adjacent-pairs rows (the inverse of pairsToRotateHalf). */
export function rotateHalfToPairs(w: Float32Array, heads: number, hd: number, cols: number): Float32Array {
  return permuteRows(w, heads, hd, cols, true);
}

function permuteRows(w: Float32Array, heads: number, hd: number, cols: number, toPairs: boolean): Float32Array {
  if (w.length !== heads * hd * cols || hd % 2 !== 0) {
    throw new RangeError(`cannot permute ${w.length} values as ${heads} heads x ${hd} rows x ${cols} columns (hd must be even)`);
  }
  const out = new Float32Array(w.length);
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < half; i++) {
        const pairs = h * hd + 2 * i + c;
        const rotateHalf = h * hd + c * half + i;
        const [dst, src] = toPairs ? [pairs, rotateHalf] : [rotateHalf, pairs];
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- config.json

/** The model config plus what the tensor mapping needs. */
interface HfConfig {
  readonly file: string; // config.json path, for errors
  readonly llama: LlamaConfig;
  readonly tied: boolean; // tie_word_embeddings
}

/** Reads and validates `config.json` (ModelFileError naming it on any problem). */
export function readHfConfig(file: string): HfConfig {
  if (!existsSync(file)) {
    throw new ModelFileError(file, 'file not found (a Hugging Face model folder needs config.json, model.safetensors and tokenizer.json)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(file, `malformed JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelFileError(file, 'is not a JSON object');
  const c = raw as Record<string, unknown>;
  checkArchitecture(file, c);
  return { file, llama: toLlamaConfig(file, c), tied: c.tie_word_embeddings === true };
}

function checkArchitecture(file: string, c: Record<string, unknown>): void {
  const archs = Array.isArray(c.architectures) ? c.architectures : [];
  if (c.model_type !== 'llama' && !archs.includes('LlamaForCausalLM')) {
    throw new ModelFileError(
      file,
      `unsupported model_type ${brief(c.model_type)} (architectures ${brief(c.architectures ?? null)}); ` +
        'supported: model_type "llama" / architecture "LlamaForCausalLM" (Llama 1/2-style models)',
    );
  }
  const unsupported = (what: string): never => {
    throw new ModelFileError(file, `${what} is not supported (only plain Llama: no rope scaling, no biases, SiLU MLP)`);
  };
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) unsupported(`rope_scaling ${brief(c.rope_scaling)}`);
  if (c.attention_bias === true) unsupported('attention_bias: true');
  if (c.mlp_bias === true) unsupported('mlp_bias: true');
  if (c.hidden_act !== undefined && c.hidden_act !== 'silu') unsupported(`hidden_act ${brief(c.hidden_act)}`);
}

function toLlamaConfig(file: string, c: Record<string, unknown>): LlamaConfig {
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) <= 0) {
      throw new ModelFileError(file, `"${key}" must be a positive integer, got ${brief(c[key] ?? null)}`);
    }
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) throw new ModelFileError(file, `"${key}" must be a positive number, got ${brief(v)}`);
    return v;
  };
  const nHeads = int('num_attention_heads');
  const llama: LlamaConfig = {
    dim: int('hidden_size'),
    hiddenDim: int('intermediate_size'),
    nLayers: int('num_hidden_layers'),
    nHeads,
    nKvHeads: int('num_key_value_heads', nHeads),
    vocabSize: int('vocab_size'),
    maxSeqLen: int('max_position_embeddings'),
    normEps: num('rms_norm_eps', 1e-6), // transformers' LlamaConfig default
    ropeTheta: num('rope_theta', 10000),
  };
  const bad = (what: string): never => {
    throw new ModelFileError(file, what);
  };
  if (llama.dim % nHeads !== 0) bad(`hidden_size ${llama.dim} is not a multiple of num_attention_heads ${nHeads}`);
  if (nHeads % llama.nKvHeads !== 0) bad(`num_attention_heads ${nHeads} is not a multiple of num_key_value_heads ${llama.nKvHeads}`);
  const hd = llama.dim / nHeads;
  if (hd % 2 !== 0) bad(`head dimension ${hd} is odd (RoPE rotates pairs)`);
  if (c.head_dim !== undefined && c.head_dim !== null && c.head_dim !== hd) {
    bad(`head_dim ${brief(c.head_dim)} differs from hidden_size / num_attention_heads = ${hd} (not supported)`);
  }
  return llama;
}

// ---------------------------------------------------------------- tensors

/** Every tensor of the folder, with the file it came from (for error messages). */
interface TensorSet {
  readonly tensors: Map<string, LazySafetensorsTensor>;
  readonly fileOf: (name: string) => string;
}

/** Reads `model.safetensors`, or the shards listed in `model.safetensors.index.json`. */
function readHfTensors(dir: string): TensorSet {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  if (existsSync(single) || !existsSync(index)) {
    if (!existsSync(single)) {
      throw new ModelFileError(single, 'file not found (neither model.safetensors nor model.safetensors.index.json is in the folder; PyTorch .bin checkpoints are not supported)');
    }
    return { tensors: openSafetensors(single), fileOf: () => single };
  }
  let weightMap: Record<string, string>;
  try {
    weightMap = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
    if (typeof weightMap !== 'object' || weightMap === null) throw new Error('no "weight_map" object');
  } catch (e) {
    throw new ModelFileError(index, `malformed shard index: ${(e as Error).message}`);
  }
  const tensors = new Map<string, LazySafetensorsTensor>();
  const from = new Map<string, string>();
  for (const shard of new Set(Object.values(weightMap))) {
    const file = path.join(dir, shard);
    for (const [name, t] of openSafetensors(file)) {
      tensors.set(name, t);
      from.set(name, file);
    }
  }
  return { tensors, fileOf: (name) => from.get(name) ?? path.join(dir, weightMap[name] ?? 'model.safetensors') };
}

/** Maps HF tensor names to LlamaWeights, checking every shape against config.json. */
function buildWeights<M extends Matrix>(config: HfConfig, set: TensorSet, convert: MatrixConverter<M>): LlamaWeights<M> {
  const c = config.llama;
  const hd = c.dim / c.nHeads;
  const get = (name: string, shape: number[]): Float32Array => checkedTensor(set, config.file, name, shape).read();
  const layers: LayerWeights<M>[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `model.layers.${l}.`;
    const matrix = (field: LayerMatrix, name: string, rows: number, cols: number, pairs = false): M => {
      const t = checkedTensor(set, config.file, p + name, [rows, cols]);
      return convert(
        lazyFloatMatrix(rows, cols, () => (pairs ? rotateHalfToPairs(t.read(), rows / hd, hd, cols) : t.read())),
        field,
        c,
      );
    };
    layers.push({
      attnNorm: get(p + 'input_layernorm.weight', [c.dim]),
      wq: matrix('wq', 'self_attn.q_proj.weight', c.nHeads * hd, c.dim, true),
      wk: matrix('wk', 'self_attn.k_proj.weight', c.nKvHeads * hd, c.dim, true),
      wv: matrix('wv', 'self_attn.v_proj.weight', c.nKvHeads * hd, c.dim),
      wo: matrix('wo', 'self_attn.o_proj.weight', c.dim, c.nHeads * hd),
      ffnNorm: get(p + 'post_attention_layernorm.weight', [c.dim]),
      w1: matrix('w1', 'mlp.gate_proj.weight', c.hiddenDim, c.dim),
      w2: matrix('w2', 'mlp.down_proj.weight', c.dim, c.hiddenDim),
      w3: matrix('w3', 'mlp.up_proj.weight', c.hiddenDim, c.dim),
    });
  }
  const tokenEmbedding = get('model.embed_tokens.weight', [c.vocabSize, c.dim]);
  const finalNorm = get('model.norm.weight', [c.dim]);
  const untied = !config.tied && set.tensors.has('lm_head.weight');
  const classifier = untied ? get('lm_head.weight', [c.vocabSize, c.dim]) : tokenEmbedding;
  return { config: c, tokenEmbedding, layers, finalNorm, classifier };
}

/** Tensor `name` of the folder, its shape checked against `shape` (from config.json). */
function checkedTensor(set: TensorSet, configFile: string, name: string, shape: number[]): LazySafetensorsTensor {
  const t = set.tensors.get(name);
  const want = `[${shape.join(', ')}]`;
  if (!t) throw new ModelFileError(set.fileOf(name), `tensor "${name}" is missing (expected shape ${want} from ${configFile})`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ModelFileError(set.fileOf(name), `tensor "${name}" has shape [${t.shape.join(', ')}], expected ${want} (from ${configFile})`);
  }
  return t;
}
