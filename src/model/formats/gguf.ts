import { statSync } from 'node:fs';
import { ModelFileError } from '../../core/errors.js';
import { readBytes } from './bounds.js';
import { GGML_F16, GGML_F32, GGML_QUANT_TYPES, ggmlTypeName, GgufType, readGgufFile, text, TokenType, type GgufEntry, type GgufFile, type GgufValue } from './gguf-file.js';
import type { Llama2cVocab } from './llama2c-vocab.js';
import { decode16 } from './safetensors.js';
import { BLOCK_LAYOUTS } from './quant-blocks.js';
import { lazyQuantMatrix, quantBytes } from './quant.js';
import {
  dequantizeWeights,
  floatValues,
  layerShapes,
  lazyFloatMatrix,
  type LayerWeights,
  type LlamaConfig,
  type LlamaWeights,
  type Matrix,
  type ModelWeights,
} from '../weights.js';

export * from './gguf-file.js';

/**
 * Llama models in GGUF files (container: gguf-file.ts).
 * RoPE layout: GGUF files of the `llama` architecture hold attn_q / attn_k rows
 * in Meta's original adjacent-pairs order (llama.cpp's LLAMA rope is the
 * "normal" mode, rotating dims 2i and 2i+1): llama.cpp's convert_hf_to_gguf.py
 * (LlamaModel.modify_tensors -> LlamaModel.permute, reshape(n_head, 2, hd/2, ..)
 * .swapaxes(1, 2)) undoes the rotate-half permutation that transformers'
 * convert_llama_weights_to_hf.py applied, and convert-llama2c-to-ggml copies
 * llama2.c's weights unpermuted. That is LlamaWeights' layout, so Q/K rows are
 * used as stored (and written as they are by gguf-writer.ts).
 */

/** Tensor names of layer `l`, as llama.cpp names them, with their LayerWeights field. */
export const GGUF_LAYER_TENSORS: readonly (readonly [keyof LayerWeights, string])[] = [
  ['attnNorm', 'attn_norm'],
  ['wq', 'attn_q'],
  ['wk', 'attn_k'],
  ['wv', 'attn_v'],
  ['wo', 'attn_output'],
  ['ffnNorm', 'ffn_norm'],
  ['w1', 'ffn_gate'],
  ['w2', 'ffn_down'],
  ['w3', 'ffn_up'],
];

/** readGgufModel with every quantized matrix dequantized to float32. */
export function readGguf(file: string): { weights: LlamaWeights; vocab: Llama2cVocab; name: string | null } {
  const m = readGgufModel(file);
  return { ...m, weights: dequantizeWeights(m.weights) };
}

/**
 * Reads a Llama-architecture GGUF: weights and the SentencePiece-style
 * vocabulary of its tokenizer.ggml.* metadata. F32 and F16 tensors become
 * float32; layer matrices of the block types of GGML_QUANT_TYPES (Q8_0, Q4_0,
 * Q5_0, Q4_K, Q5_K, Q6_K: what llama-quantize writes for Q8_0, Q4_0 and Q4_K_M)
 * stay quantized (QuantMatrix), a quantized embedding or classifier is
 * dequantized (they stay float in the graph).
 */
export function readGgufModel(file: string): { weights: ModelWeights; vocab: Llama2cVocab; name: string | null } {
  const g = readGgufFile(file);
  const meta = new Meta(g);
  const arch = meta.str('general.architecture');
  if (arch !== 'llama') {
    throw new ModelFileError(file, `architecture "${arch}" is not supported (only "llama": Llama 1/2-style models)`);
  }
  const config = llamaConfig(g, meta);
  const weights = llamaWeights(g, config);
  const vocab = ggufVocab(g, meta, config.vocabSize);
  const name = g.metadata.has('general.name') ? text(meta.str('general.name')) : null;
  return { weights, vocab, name };
}

/** Typed metadata access with errors naming the file and the key. */
class Meta {
  constructor(private readonly g: GgufFile) {}

  private get(key: string): GgufEntry {
    const e = this.g.metadata.get(key);
    if (!e) throw new ModelFileError(this.g.file, `metadata key "${key}" is missing`);
    return e;
  }

  has(key: string): boolean {
    return this.g.metadata.has(key);
  }

  str(key: string): string {
    const v = this.get(key).value;
    if (typeof v !== 'string') throw new ModelFileError(this.g.file, `metadata "${key}" is not a string`);
    return v;
  }

  /** A non-negative integer of any integer type. */
  int(key: string, fallback?: number): number {
    if (!this.has(key) && fallback !== undefined) return fallback;
    const v = this.get(key).value;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new ModelFileError(this.g.file, `metadata "${key}" must be a non-negative integer, got ${JSON.stringify(String(v))}`);
    }
    return n;
  }

  /** A float; float32 values come back as the shortest decimal that rounds to them (1e-5, not 9.99999974e-6). */
  num(key: string, fallback: number): number {
    if (!this.has(key)) return fallback;
    const e = this.get(key);
    if (typeof e.value !== 'number') throw new ModelFileError(this.g.file, `metadata "${key}" is not a number`);
    return e.type === GgufType.FLOAT32 ? shortestFloat32(e.value) : e.value;
  }

  array(key: string): readonly GgufValue[] {
    const v = this.get(key).value;
    if (!Array.isArray(v)) throw new ModelFileError(this.g.file, `metadata "${key}" is not an array`);
    return v as readonly GgufValue[];
  }
}

/** The shortest decimal (as a double) whose float32 rounding is `x`'s float32. */
export function shortestFloat32(x: number): number {
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

function llamaConfig(g: GgufFile, m: Meta): LlamaConfig {
  const bad = (what: string): never => {
    throw new ModelFileError(g.file, what);
  };
  for (const k of ['llama.feed_forward_length', 'llama.attention.head_count', 'llama.attention.head_count_kv']) {
    if (m.has(k) && Array.isArray(g.metadata.get(k)?.value)) bad(`per-layer "${k}" (an array) is not supported`);
  }
  if (m.int('llama.expert_count', 0) > 0) bad('mixture-of-experts models (llama.expert_count > 0) are not supported');
  if (m.has('llama.rope.scaling.type') && text(m.str('llama.rope.scaling.type')) !== 'none') {
    bad(`RoPE scaling "${text(m.str('llama.rope.scaling.type'))}" is not supported`);
  }
  const tokens = g.tensors.get('token_embd.weight');
  const nHeads = m.int('llama.attention.head_count');
  const dim = m.int('llama.embedding_length');
  const c: LlamaConfig = {
    dim,
    hiddenDim: m.int('llama.feed_forward_length'),
    nLayers: m.int('llama.block_count'),
    nHeads,
    nKvHeads: m.int('llama.attention.head_count_kv', nHeads),
    vocabSize: m.int('llama.vocab_size', m.has('tokenizer.ggml.tokens') ? m.array('tokenizer.ggml.tokens').length : (tokens?.ne[1] ?? 0)),
    maxSeqLen: m.int('llama.context_length'),
    normEps: m.num('llama.attention.layer_norm_rms_epsilon', 1e-5),
    ropeTheta: m.num('llama.rope.freq_base', 10000),
  };
  for (const [k, v] of Object.entries(c)) if (!(v > 0)) bad(`${k} must be positive, got ${v}`);
  if (c.dim % c.nHeads !== 0) bad(`embedding_length ${c.dim} is not a multiple of head_count ${c.nHeads}`);
  if (c.nHeads % c.nKvHeads !== 0) bad(`head_count ${c.nHeads} is not a multiple of head_count_kv ${c.nKvHeads}`);
  const hd = c.dim / c.nHeads;
  if (hd % 2 !== 0) bad(`head dimension ${hd} is odd (RoPE rotates pairs)`);
  for (const k of ['llama.attention.key_length', 'llama.attention.value_length', 'llama.rope.dimension_count']) {
    if (m.has(k) && m.int(k) !== hd) bad(`${k} ${m.int(k)} differs from embedding_length / head_count = ${hd} (not supported)`);
  }
  return c;
}

function llamaWeights(g: GgufFile, c: LlamaConfig): ModelWeights {
  const used = new Set<string>();
  const matrix = (name: string, shape: readonly number[]): Matrix => {
    used.add(name);
    return tensorData(g, name, shape);
  };
  const take = (name: string, shape: number[]): Float32Array => {
    const m = matrix(name, shape);
    return floatValues(m);
  };
  const shapes = layerShapes(c);
  const tokenEmbedding = take('token_embd.weight', [c.vocabSize, c.dim]);
  const layers: LayerWeights<Matrix>[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    // Norm gains are 1-D: tensorData reads them as float32 only.
    const entries = GGUF_LAYER_TENSORS.map(([field, name]): [string, Matrix] => [field, matrix(`blk.${l}.${name}.weight`, shapes[field])]);
    layers.push(Object.fromEntries(entries) as unknown as LayerWeights<Matrix>);
  }
  const finalNorm = take('output_norm.weight', [c.dim]);
  const classifier = g.tensors.has('output.weight') ? take('output.weight', [c.vocabSize, c.dim]) : tokenEmbedding;
  const extra = [...g.tensors.keys()].filter((n) => !used.has(n));
  if (extra.length > 0) {
    throw new ModelFileError(
      g.file,
      `unexpected tensors ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ` (+${extra.length - 3} more)` : ''} ` +
        '(only plain Llama is supported: no biases, no RoPE frequency factors)',
    );
  }
  return { config: c, tokenEmbedding, layers, finalNorm, classifier };
}

const SUPPORTED_BLOCKS = Object.keys(GGML_QUANT_TYPES)
  .map((t) => ggmlTypeName(Number(t)))
  .join(' / ');

/**
 * The values of tensor `name`, checked against `shape` (row-major, outermost
 * first): float32 for F16 tensors and 1-D F32 ones, a FileFloatMatrix for F32
 * matrices and a QuantMatrix for matrices of a block type of GGML_QUANT_TYPES
 * (both read from the file on each access).
 */
function tensorData(g: GgufFile, name: string, shape: readonly number[]): Matrix {
  const t = g.tensors.get(name);
  const want = `[${[...shape].reverse().join(', ')}]`;
  if (!t) throw new ModelFileError(g.file, `tensor "${name}" is missing (expected ggml shape ${want})`);
  const quant = GGML_QUANT_TYPES[t.type];
  if (t.type !== GGML_F32 && t.type !== GGML_F16 && (quant === undefined || shape.length !== 2)) {
    throw new ModelFileError(
      g.file,
      `tensor "${name}" has type ${ggmlTypeName(t.type)}; supported: F32, F16, and ${SUPPORTED_BLOCKS} matrices (re-quantize the original with llama-quantize to Q8_0, Q4_0 or Q4_K_M, or convert it with --outtype f32 or f16)`,
    );
  }
  const ne = [...shape].reverse();
  if (t.ne.length !== ne.length || t.ne.some((d, i) => d !== ne[i])) {
    throw new ModelFileError(g.file, `tensor "${name}" has ggml shape [${t.ne.join(', ')}], expected ${want}`);
  }
  if (quant !== undefined && ne[0] % BLOCK_LAYOUTS[quant].weights !== 0) {
    const per = BLOCK_LAYOUTS[quant].weights;
    throw new ModelFileError(g.file, `tensor "${name}" (${ggmlTypeName(t.type)}) has rows of ${ne[0]} weights, not a multiple of its ${per}-weight blocks`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const size = quant !== undefined ? quantBytes(quant, shape[0], shape[1]) : count * (t.type === GGML_F32 ? 4 : 2);
  const start = g.dataOffset + t.offset;
  if (t.offset % g.alignment !== 0) throw new ModelFileError(g.file, `tensor "${name}" offset ${t.offset} is not aligned to ${g.alignment}`);
  if (start + size > g.size) {
    throw new ModelFileError(g.file, `truncated: tensor "${name}" needs bytes ${start}..${start + size} but the file has ${g.size} (re-download or re-export it)`);
  }
  if (quant !== undefined) return lazyQuantMatrix(quant, shape[0], shape[1], () => tensorBytes(g, start, size));
  if (t.type === GGML_F16) return decode16(tensorBytes(g, start, size), count, 'F16');
  const read = (): Float32Array => {
    const out = new Float32Array(count);
    tensorBytes(g, start, size, new Uint8Array(out.buffer));
    return out;
  };
  return shape.length === 2 ? lazyFloatMatrix(shape[0], shape[1], read) : read();
}

/** Bytes [start, start + size) of the GGUF file, which must still have the size it had when its head was read. */
function tensorBytes(g: GgufFile, start: number, size: number, into?: Uint8Array): Buffer {
  const now = statSync(g.file, { throwIfNoEntry: false })?.size;
  if (now !== g.size) throw new ModelFileError(g.file, `changed since it was opened (${g.size} bytes then, ${now ?? 'no file'} now): load the model again`);
  return readBytes(g.file, start, size, into);
}

// ---------------------------------------------------------------- tokenizer

const SPM_SPACE_BYTES = Buffer.from('\u2581', 'utf8');

/**
 * The vocabulary of tokenizer.ggml.* (model "llama": SentencePiece pieces with
 * U+2581 for spaces and `<0xNN>` byte tokens), as a llama2.c vocabulary:
 * U+2581 becomes ' ' in normal pieces, byte tokens keep their `<0xNN>`
 * spelling, unknown / control / unused tokens are marked as not text.
 */
function ggufVocab(g: GgufFile, m: Meta, vocabSize: number): Llama2cVocab {
  const model = text(m.str('tokenizer.ggml.model'));
  if (model !== 'llama') {
    throw new ModelFileError(g.file, `tokenizer.ggml.model "${model}" is not supported (only "llama": SentencePiece-style pieces and scores)`);
  }
  const tokens = m.array('tokenizer.ggml.tokens');
  if (tokens.length !== vocabSize) {
    throw new ModelFileError(g.file, `tokenizer.ggml.tokens has ${tokens.length} tokens but the model has a vocabulary of ${vocabSize}`);
  }
  const scoresIn = m.has('tokenizer.ggml.scores') ? m.array('tokenizer.ggml.scores') : null;
  const typesIn = m.has('tokenizer.ggml.token_type') ? m.array('tokenizer.ggml.token_type') : null;
  for (const [key, arr] of [
    ['scores', scoresIn],
    ['token_type', typesIn],
  ] as const) {
    if (arr && arr.length !== vocabSize) throw new ModelFileError(g.file, `tokenizer.ggml.${key} has ${arr.length} entries, expected ${vocabSize}`);
  }
  const scores = new Float32Array(vocabSize);
  const controlIds: number[] = [];
  const pieces = tokens.map((t, id) => {
    if (typeof t !== 'string') throw new ModelFileError(g.file, `tokenizer.ggml.tokens[${id}] is not a string`);
    scores[id] = scoresIn ? Number(scoresIn[id]) : 0;
    const type = typesIn ? Number(typesIn[id]) : TokenType.NORMAL;
    const raw = Buffer.from(t, 'latin1');
    if (type === TokenType.UNKNOWN || type === TokenType.CONTROL || type === TokenType.UNUSED) controlIds.push(id);
    if (type !== TokenType.NORMAL && type !== TokenType.USER_DEFINED) return new Uint8Array(raw);
    return new Uint8Array(replaceBytes(raw, SPM_SPACE_BYTES, 0x20));
  });
  const special = (key: string, fallback: number): number => {
    const id = m.int(`tokenizer.ggml.${key}`, fallback);
    if (id >= vocabSize && key !== 'unknown_token_id') throw new ModelFileError(g.file, `tokenizer.ggml.${key} ${id} is outside the vocabulary`);
    return id < vocabSize ? id : -1;
  };
  return {
    file: g.file,
    maxTokenLength: pieces.reduce((a, p) => Math.max(a, p.length), 0),
    pieces,
    scores,
    special: { unkId: special('unknown_token_id', 0), bosId: special('bos_token_id', 1), eosId: special('eos_token_id', 2), controlIds },
  };
}

/** `buf` with every occurrence of `pattern` replaced by the single byte `by`. */
function replaceBytes(buf: Buffer, pattern: Buffer, by: number): Buffer {
  if (buf.indexOf(pattern) < 0) return buf;
  const out: number[] = [];
  for (let i = 0; i < buf.length;) {
    if (buf.subarray(i, i + pattern.length).equals(pattern)) {
      out.push(by);
      i += pattern.length;
    } else out.push(buf[i++]);
  }
  return Buffer.from(out);
}
