import { createRng, type Xoshiro128 } from '../core/rng.js';
import type { LayerWeights, LlamaConfig, LlamaWeights } from './weights.js';
import { ConfigError } from '../core/errors.js';

/** A small model for fast tests: headDim 8, GQA 2:1, byte-level vocab plus 41 filler pieces. */
export const TINY_RANDOM_CONFIG: LlamaConfig = Object.freeze({
  dim: 32,
  hiddenDim: 64,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 300,
  maxSeqLen: 256,
  normEps: 1e-5,
  ropeTheta: 10000,
});

/** The shape of llama2.c's stories110M (for benchmarks without the checkpoint). */
export const STORIES110M_CONFIG: LlamaConfig = Object.freeze({
  dim: 768,
  hiddenDim: 2048,
  nLayers: 12,
  nHeads: 12,
  nKvHeads: 12,
  vocabSize: 32000,
  maxSeqLen: 1024,
  normEps: 1e-5,
  ropeTheta: 10000,
});

/** The shape of TinyLlama-1.1B (1.1B parameters, grouped-query attention 8:1), for the engine at the scale of real small models. */
export const TINYLLAMA_CONFIG: LlamaConfig = Object.freeze({
  dim: 2048,
  hiddenDim: 5632,
  nLayers: 22,
  nHeads: 32,
  nKvHeads: 4,
  vocabSize: 32000,
  maxSeqLen: 2048,
  normEps: 1e-5,
  ropeTheta: 10000,
});

/**
 * Random Llama weights, a pure function of (config, seed). Every tensor has its
 * own PRNG stream (`fork` by tensor name), so tensors do not depend on each other.
 *
 * Matrices [out, in] are uniform in [-a, a] with a = 1/sqrt(in) (so W x keeps
 * the scale of x up to a constant); the embedding is uniform in [-a, a] with
 * a = 4/sqrt(dim), which with the tied classifier gives logits of standard
 * deviation ~2.3 at any width (peaked but not one-hot distributions); norm
 * weights are 1 + uniform noise in [-0.05, 0.05].
 */
export function randomWeights(config: LlamaConfig, seed: number): LlamaWeights {
  checkConfig(config);
  const root = createRng(seed);
  const hd = config.dim / config.nHeads;
  const qDim = config.nHeads * hd;
  const kvDim = config.nKvHeads * hd;
  const { dim, hiddenDim } = config;
  const matrix = (name: string, rows: number, cols: number): Float32Array => uniform(root.fork(name), rows * cols, 1 / Math.sqrt(cols));
  const norm = (name: string): Float32Array => {
    const w = uniform(root.fork(name), dim, 0.05);
    for (let i = 0; i < w.length; i++) w[i] += 1;
    return w;
  };
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const p = `layers.${l}.`;
    layers.push({
      attnNorm: norm(p + 'attnNorm'),
      wq: matrix(p + 'wq', qDim, dim),
      wk: matrix(p + 'wk', kvDim, dim),
      wv: matrix(p + 'wv', kvDim, dim),
      wo: matrix(p + 'wo', dim, qDim),
      ffnNorm: norm(p + 'ffnNorm'),
      w1: matrix(p + 'w1', hiddenDim, dim),
      w2: matrix(p + 'w2', dim, hiddenDim),
      w3: matrix(p + 'w3', hiddenDim, dim),
    });
  }
  const tokenEmbedding = uniform(root.fork('tokenEmbedding'), config.vocabSize * dim, 4 / Math.sqrt(dim));
  return { config, tokenEmbedding, layers, finalNorm: norm('finalNorm'), classifier: tokenEmbedding };
}

function uniform(rng: Xoshiro128, n: number, a: number): Float32Array {
  const out = new Float32Array(n);
  rng.fillUniform(out, -a, a);
  return out;
}

function checkConfig(c: LlamaConfig): void {
  const ints: (keyof LlamaConfig)[] = ['dim', 'hiddenDim', 'nLayers', 'nHeads', 'nKvHeads', 'vocabSize', 'maxSeqLen'];
  for (const k of ints) {
    const v = c[k];
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`model config: ${k} must be a positive integer, got ${v}`);
  }
  if (c.dim % c.nHeads !== 0) throw new ConfigError(`model config: dim ${c.dim} is not a multiple of nHeads ${c.nHeads}`);
  if (c.nHeads % c.nKvHeads !== 0) {
    throw new ConfigError(`model config: nHeads ${c.nHeads} is not a multiple of nKvHeads ${c.nKvHeads}`);
  }
  if ((c.dim / c.nHeads) % 2 !== 0) throw new ConfigError(`model config: head dim ${c.dim / c.nHeads} must be even (RoPE pairs)`);
}
