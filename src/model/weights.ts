import { ConfigError } from '../core/errors.js';
import { dequantize, quantBytes, quantize, QK, type BlockType, type QuantMatrix, type WeightsType } from './formats/quant.js';
import { withLazyData } from './formats/bounds.js';

/**
 * Llama-family architecture hyper-parameters, in the llama2.c naming.
 * headDim = dim / nHeads; query head h uses kv head floor(h / (nHeads / nKvHeads)).
 */
export interface LlamaConfig {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly vocabSize: number;
  readonly maxSeqLen: number;
  /** RMSNorm epsilon (llama2.c: 1e-5). */
  readonly normEps: number;
  /** RoPE base (10000 for Llama 2). */
  readonly ropeTheta: number;
}

/**
 * A float32 row-major [rows, cols] matrix left in its model file: each access
 * of `data` reads it (a fresh array), so a loaded float model's layer matrices
 * hold no memory while onnxruntime, which has its own copy, runs them. Read
 * `data` once per use.
 */
export interface FileFloatMatrix {
  readonly type: 'f32';
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array; // [rows * cols]
}

/** A FileFloatMatrix whose `data` calls `read`. */
export function lazyFloatMatrix(rows: number, cols: number, read: () => Float32Array): FileFloatMatrix {
  return withLazyData({ type: 'f32' as const, rows, cols }, read);
}

/** A weight matrix: float32 row-major [out, in] (in memory, or left in its file), or GGUF blocks of the same matrix (quant.ts). */
export type Matrix = Float32Array | QuantMatrix | FileFloatMatrix;

/** `m` with its values in memory: a FileFloatMatrix read from its file, anything else as it is. */
export function inMemory(m: Matrix): Float32Array | QuantMatrix {
  return m instanceof Float32Array || m.type !== 'f32' ? m : m.data;
}

/**
 * Weights of one transformer layer. Matrices are row-major [out, in] (y = W x),
 * as in llama2.c and PyTorch; `M` is Float32Array for float models, Matrix
 * where a layer matrix may be quantized (ModelWeights). Q/K rows use the *adjacent-pairs* RoPE layout
 * (dims 2i and 2i+1 of a head rotate together); loaders of other layouts
 * (Hugging Face rotate-half) convert to this one.
 */
export interface LayerWeights<M extends Matrix = Float32Array> {
  readonly attnNorm: Float32Array; // [dim]
  readonly wq: M; // [nHeads*headDim, dim]
  readonly wk: M; // [nKvHeads*headDim, dim]
  readonly wv: M; // [nKvHeads*headDim, dim]
  readonly wo: M; // [dim, nHeads*headDim]
  readonly ffnNorm: Float32Array; // [dim]
  readonly w1: M; // [hiddenDim, dim] (gate)
  readonly w2: M; // [dim, hiddenDim] (down)
  readonly w3: M; // [hiddenDim, dim] (up)
}

/**
 * A loaded Llama-family model, independent of its file format. Only layer
 * matrices can be quantized; the embedding, classifier and norms stay float32.
 */
export interface LlamaWeights<M extends Matrix = Float32Array> {
  readonly config: LlamaConfig;
  readonly tokenEmbedding: Float32Array; // [vocab, dim]
  readonly layers: readonly LayerWeights<M>[];
  readonly finalNorm: Float32Array; // [dim]
  /** [vocab, dim]; the same array as tokenEmbedding when the classifier is tied. */
  readonly classifier: Float32Array;
}

export function headDim(c: LlamaConfig): number {
  return c.dim / c.nHeads;
}

/** Weights whose layer matrices may be quantized: what loaders return and the engine takes. */
export type ModelWeights = LlamaWeights<Matrix>;

/** Each layer tensor's shape as stored, [rows, cols] (norm gains [dim]); the file readers and writers check and write these. */
export function layerShapes(c: LlamaConfig): Record<keyof LayerWeights, readonly number[]> {
  const hd = headDim(c);
  return {
    attnNorm: [c.dim],
    wq: [c.nHeads * hd, c.dim],
    wk: [c.nKvHeads * hd, c.dim],
    wv: [c.nKvHeads * hd, c.dim],
    wo: [c.dim, c.nHeads * hd],
    ffnNorm: [c.dim],
    w1: [c.hiddenDim, c.dim],
    w2: [c.dim, c.hiddenDim],
    w3: [c.hiddenDim, c.dim],
  };
}

/** The layer matrices' fields. */
export const LAYER_MATRICES = ['wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3'] as const;

/** Elements of a matrix. */
function matrixSize(m: Matrix): number {
  return m instanceof Float32Array ? m.length : m.rows * m.cols;
}

/** Bytes of a matrix's values as held in memory or in its file. */
export function matrixBytes(m: Matrix): number {
  if (m instanceof Float32Array) return m.byteLength;
  return m.type === 'f32' ? 4 * m.rows * m.cols : quantBytes(m.type, m.rows, m.cols);
}

/** Bytes of all the weights as held (float32 arrays, quantized blocks, in memory or left in their file; a tied classifier counted once). */
export function weightBytes(w: ModelWeights): number {
  return sumOverWeights(w, (a) => a.byteLength, matrixBytes);
}

/** Number of parameters (tied classifier counted once). */
export function parameterCount(w: ModelWeights): number {
  return sumOverWeights(w, (a) => a.length, matrixSize);
}

/** `vector` of every float array plus `matrix` of every layer matrix (a tied classifier counted once). */
function sumOverWeights(w: ModelWeights, vector: (a: Float32Array) => number, matrix: (m: Matrix) => number): number {
  let n = vector(w.tokenEmbedding) + vector(w.finalNorm);
  if (w.classifier !== w.tokenEmbedding) n += vector(w.classifier);
  for (const l of w.layers) {
    n += vector(l.attnNorm) + vector(l.ffnNorm);
    for (const f of LAYER_MATRICES) n += matrix(l[f]);
  }
  return n;
}

/** The quantization type of the layer matrices, 'f32' when none is quantized ('mixed' when types differ). */
export function weightsType(w: ModelWeights): BlockType | 'f32' | 'mixed' {
  const types = new Set(w.layers.flatMap((l) => LAYER_MATRICES.map((f) => l[f]).map((m) => (m instanceof Float32Array ? 'f32' : m.type))));
  const quant = [...types].filter((t) => t !== 'f32');
  if (quant.length === 0) return 'f32';
  return quant.length === 1 ? quant[0] : 'mixed';
}

/** `w` when no layer matrix is quantized; else a ConfigError saying that `use` needs float weights. */
export function floatWeights(w: ModelWeights, use: string): LlamaWeights {
  if (weightsType(w) !== 'f32')
    throw new ConfigError(`${use} needs float32 weights, but the model's layer matrices are quantized (${weightsType(w)}): use weights: f32 or a float model`);
  return dequantizeWeights(w);
}

/**
 * The model with its layer matrices stored as `type`: quantized (float32 ones,
 * and ones of another block type through their dequantized values, one matrix
 * at a time) or, for 'f32', dequantized (float matrices left in their file
 * stay there). The embedding, classifier and norms stay float32. As
 * llama.cpp's quantizer does for a 32-block type, a matrix whose rows are not a multiple of 32 long stays unquantized (llama.cpp stores
 * it as F16, we keep float32). Float arrays that are views of a larger buffer
 * (a whole checkpoint) are copied, so that buffer and the float matrices can be freed.
 */
export function convertWeights(w: ModelWeights, type: WeightsType, keep: KeepQuant = (q) => q): ModelWeights {
  if (type === 'f32')
    return weightsType(w) === 'f32'
      ? w
      : mapLayers(
          w,
          (m, f) => convertMatrix(m, f, w.config, type),
          (a) => a,
        );
  return mapLayers(w, (m, f) => convertMatrix(m, f, w.config, type, keep), own);
}

/** Where a matrix quantized by a conversion is kept (e.g. QuantStore.keep); default as it is, in memory. */
export type KeepQuant = (q: QuantMatrix) => QuantMatrix;

/** Layer matrix `f` of a model of config `c` stored as `type`, as convertWeights converts each one; newly quantized ones go through `keep`. */
export function convertMatrix(m: Matrix, f: (typeof LAYER_MATRICES)[number], c: LlamaConfig, type: WeightsType, keep: KeepQuant = (q) => q): Matrix {
  if (!(m instanceof Float32Array)) return m.type === type ? m : convertMatrix(floatValues(m), f, c, type, keep);
  if (type === 'f32') return m;
  const rows = matrixRows(c)[f];
  const cols = m.length / rows;
  return cols % QK === 0 ? keep(quantize(type, m, rows, cols)) : own(m);
}

/** The model with every layer matrix as float32 in memory (`w` itself when all are). */
export function dequantizeWeights(w: ModelWeights): LlamaWeights {
  if (w.layers.every((l) => LAYER_MATRICES.every((f) => l[f] instanceof Float32Array))) return w as LlamaWeights;
  return mapLayers(w, floatValues, (a) => a);
}

/** A matrix's float32 values in memory: read from its file, dequantized, or `m` itself. */
export function floatValues(m: Matrix): Float32Array {
  const v = inMemory(m);
  return v instanceof Float32Array ? v : dequantize(v);
}

/** Row counts of the layer matrices ([rows, cols] = [out, in]). */
function matrixRows(c: LlamaConfig): Record<(typeof LAYER_MATRICES)[number], number> {
  const hd = headDim(c);
  return { wq: c.nHeads * hd, wk: c.nKvHeads * hd, wv: c.nKvHeads * hd, wo: c.dim, w1: c.hiddenDim, w2: c.dim, w3: c.hiddenDim };
}

function mapLayers<M extends Matrix>(
  w: ModelWeights,
  matrix: (m: Matrix, field: (typeof LAYER_MATRICES)[number]) => M,
  vector: (a: Float32Array) => Float32Array,
): LlamaWeights<M> {
  const layers = w.layers.map((l) => {
    const out: Record<string, Matrix> = { attnNorm: vector(l.attnNorm), ffnNorm: vector(l.ffnNorm) };
    for (const f of LAYER_MATRICES) out[f] = matrix(l[f], f);
    return out as unknown as LayerWeights<M>;
  });
  const tokenEmbedding = vector(w.tokenEmbedding);
  const classifier = w.classifier === w.tokenEmbedding ? tokenEmbedding : vector(w.classifier);
  return { config: w.config, tokenEmbedding, layers, finalNorm: vector(w.finalNorm), classifier };
}

/** `a`, or a copy when it is a view of a larger buffer. */
function own(a: Float32Array): Float32Array {
  return a.byteLength === a.buffer.byteLength ? a : a.slice();
}
