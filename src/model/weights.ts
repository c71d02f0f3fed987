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
 * Weights of one transformer layer. Matrices are row-major [out, in] (y = W x),
 * as in llama2.c and PyTorch. Q/K rows use the *adjacent-pairs* RoPE layout
 * (dims 2i and 2i+1 of a head rotate together); loaders of other layouts
 * (Hugging Face rotate-half) convert to this one.
 */
export interface LayerWeights {
  readonly attnNorm: Float32Array; // [dim]
  readonly wq: Float32Array; // [nHeads*headDim, dim]
  readonly wk: Float32Array; // [nKvHeads*headDim, dim]
  readonly wv: Float32Array; // [nKvHeads*headDim, dim]
  readonly wo: Float32Array; // [dim, nHeads*headDim]
  readonly ffnNorm: Float32Array; // [dim]
  readonly w1: Float32Array; // [hiddenDim, dim] (gate)
  readonly w2: Float32Array; // [dim, hiddenDim] (down)
  readonly w3: Float32Array; // [hiddenDim, dim] (up)
}

/** A loaded Llama-family model, independent of its file format. */
export interface LlamaWeights {
  readonly config: LlamaConfig;
  readonly tokenEmbedding: Float32Array; // [vocab, dim]
  readonly layers: readonly LayerWeights[];
  readonly finalNorm: Float32Array; // [dim]
  /** [vocab, dim]; the same array as tokenEmbedding when the classifier is tied. */
  readonly classifier: Float32Array;
}

export function headDim(c: LlamaConfig): number {
  return c.dim / c.nHeads;
}

/** Number of float parameters (tied classifier counted once). */
export function parameterCount(w: LlamaWeights): number {
  let n = w.tokenEmbedding.length + w.finalNorm.length;
  if (w.classifier !== w.tokenEmbedding) n += w.classifier.length;
  for (const l of w.layers) {
    n += l.attnNorm.length + l.wq.length + l.wk.length + l.wv.length + l.wo.length;
    n += l.ffnNorm.length + l.w1.length + l.w2.length + l.w3.length;
  }
  return n;
}
