import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { LayerWeights, LlamaConfig, LlamaWeights } from './weights.js';

/** The shape of an inflated model (vocabulary, context, RoPE base and head dimension stay the source's). */
export interface InflateShape {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
}

/**
 * stories260K-x78M, the reference cost emulator: stories260K (dim 64, 8 heads
 * of dimension 8, 4 kv heads) inflated to dim 768, hidden 2048, 12 layers,
 * 96 heads / 48 kv heads: 78M parameters, 313 MB as float32.
 */
export const X78M_NAME = 'stories260K-x78M';
export const X78M_SHAPE: InflateShape = Object.freeze({ dim: 768, hiddenDim: 2048, nLayers: 12, nHeads: 96, nKvHeads: 48 });

/** The kv-head count that keeps the source's query heads per kv head (GQA group size) for `nHeads` heads. */
export function defaultKvHeads(c: LlamaConfig, nHeads: number): number {
  const group = c.nHeads / c.nKvHeads;
  if (!Number.isInteger(nHeads) || nHeads % group !== 0) {
    throw new ConfigError(`heads ${nHeads} is not a multiple of the source's group size ${group} (${c.nHeads} heads / ${c.nKvHeads} kv heads); give --kv-heads`);
  }
  return nHeads / group;
}

/** How inflation fills the entries that do not carry the source's weights. */
export interface InflateOptions {
  /**
   * 'random' (default): every entry that only ever meets an exact zero gets a
   * seeded random value, so the model is as dense as a trained one (only ~8% of
   * a few matrices stay zero); 'zero': plain zero padding (sparse; on some
   * machines measurably cheaper to run than a dense model of the same shape).
   */
  readonly fill?: 'random' | 'zero';
  /** Seed of the random fill (default 0): the output is a pure function of (weights, shape, options). */
  readonly seed?: number;
}

/**
 * A bigger model that computes exactly the function of `w` (up to float
 * rounding: sums see the same nonzero terms plus exact zeros).
 *
 * - The residual stream gets `dim - d` extra coordinates that stay exactly 0:
 *   the embedding / classifier's extra columns are zero, and nothing nonzero is
 *   ever written there (below).
 * - RMSNorm over the bigger dim sees the same sum of squares divided by the
 *   bigger dim, so every gain is scaled by sqrt(d / dim) and the epsilon by
 *   d / dim: g' x / sqrt(S / dim + eps d / dim) = g x / sqrt(S / d + eps).
 * - Heads keep their dimension; source query head h goes to a big head whose
 *   kv head holds a copy of source kv head floor(h / G) (with the default kv
 *   count the group size is kept and the placement is the identity). Extra kv
 *   heads have V = 0 (wv zero on the real input coordinates), so the query
 *   heads that use them output exactly 0 and their wo columns may hold anything;
 *   extra query heads that share a real kv head get zero wo columns.
 * - Extra MLP units have a zero gate (w1 zero on the real input coordinates):
 *   silu(0) * up = 0, so their w3 rows and w2 columns may hold anything.
 * - Output rows of wo / w2 for the extra residual coordinates are zero where
 *   they meet a nonzero input (the source heads / units).
 * - Extra layers come after the source's: V = 0 and gate = 0 everywhere, so
 *   they add exactly 0 to the residual stream (identities).
 * - Input columns for the extra coordinates (wq, wk, wv, w1, w3) meet zeros
 *   only, and may hold anything.
 * "May hold anything" is filled per `opts.fill` (seeded random by default).
 *
 * The result's config has the scaled normEps; llama2.c files cannot carry it
 * (run.c fixes 1e-5), so write it as a Hugging Face folder or GGUF.
 */
export function inflateWeights(w: LlamaWeights, target: InflateShape, opts: InflateOptions = {}): LlamaWeights {
  const s = w.config;
  const t = checkShape(s, target);
  const hd = s.dim / s.nHeads;
  const { qHead, kvSource } = placeHeads(s, t);
  const scale = Math.sqrt(s.dim / t.dim);
  const config: LlamaConfig = { ...s, ...t, normEps: (s.normEps * s.dim) / t.dim };
  const rng = opts.fill === 'zero' ? null : createRng(opts.seed ?? 0);
  /** A [rows, cols] matrix of "anything" values (uniform +-1/sqrt(cols), or zeros). */
  const free = (name: string, rows: number, cols: number): Float32Array => {
    const m = new Float32Array(rows * cols);
    if (rng) rng.fork(name).fillUniform(m, -1 / Math.sqrt(cols), 1 / Math.sqrt(cols));
    return m;
  };
  const norm = (g: Float32Array | null): Float32Array => {
    const out = new Float32Array(t.dim).fill(rng ? scale : 0);
    if (g) for (let i = 0; i < s.dim; i++) out[i] = g[i] * scale;
    return out;
  };
  /** Sets row `dst` of m ([?, C]) on the real input columns 0..d-1: to `src`, or to zeros. */
  const setRow = (m: Float32Array, C: number, dst: number, src: Float32Array | null): void => {
    if (src) m.set(src, dst * C);
    else m.fill(0, dst * C, dst * C + s.dim);
  };
  const row = (m: Float32Array, cols: number, r: number): Float32Array => m.subarray(r * cols, (r + 1) * cols);
  const Q = t.nHeads * hd;
  // wo column classes: the source head feeding it (>= 0), -1 = head outputs 0 (V = 0), -2 = nonzero garbage (zero column).
  const headSource = new Int32Array(t.nHeads).map((_, q) => (kvSource[Math.floor(q / (t.nHeads / t.nKvHeads))] < 0 ? -1 : -2));
  qHead.forEach((q, h) => (headSource[q] = h));

  const layers: LayerWeights[] = [];
  for (let l = 0; l < t.nLayers; l++) {
    const src = l < s.nLayers ? w.layers[l] : null;
    const f = (name: string, rows: number, cols: number): Float32Array => free(`layers.${l}.${name}`, rows, cols);
    const wq = f('wq', Q, t.dim);
    const wk = f('wk', t.nKvHeads * hd, t.dim);
    const wv = f('wv', t.nKvHeads * hd, t.dim);
    const wo = f('wo', t.dim, Q);
    const w1 = f('w1', t.hiddenDim, t.dim);
    const w2 = f('w2', t.dim, t.hiddenDim);
    const w3 = f('w3', t.hiddenDim, t.dim);
    for (let j = 0; j < t.nKvHeads; j++) {
      const k = src ? kvSource[j] : -1;
      for (let r = 0; r < hd; r++) {
        if (k >= 0) setRow(wk, t.dim, j * hd + r, row(src!.wk, s.dim, k * hd + r));
        setRow(wv, t.dim, j * hd + r, k >= 0 ? row(src!.wv, s.dim, k * hd + r) : null);
      }
    }
    if (src) {
      for (let r = 0; r < s.nHeads * hd; r++) setRow(wq, t.dim, qHead[Math.floor(r / hd)] * hd + (r % hd), row(src.wq, s.dim, r));
      for (let q = 0; q < t.nHeads; q++) {
        const h = headSource[q];
        if (h === -1) continue;
        for (let i = 0; i < t.dim; i++) {
          for (let r = 0; r < hd; r++) wo[i * Q + q * hd + r] = h >= 0 && i < s.dim ? src.wo[i * s.dim + h * hd + r] : 0;
        }
      }
    }
    for (let u = 0; u < t.hiddenDim; u++) {
      const real = src !== null && u < s.hiddenDim;
      setRow(w1, t.dim, u, real ? row(src.w1, s.dim, u) : null);
      if (real) setRow(w3, t.dim, u, row(src.w3, s.dim, u));
    }
    if (src) {
      for (let i = 0; i < t.dim; i++) {
        if (i < s.dim) w2.set(row(src.w2, s.hiddenDim, i), i * t.hiddenDim);
        else w2.fill(0, i * t.hiddenDim, i * t.hiddenDim + s.hiddenDim);
      }
    }
    layers.push({ attnNorm: norm(src?.attnNorm ?? null), wq, wk, wv, wo, ffnNorm: norm(src?.ffnNorm ?? null), w1, w2, w3 });
  }
  const embed = (m: Float32Array): Float32Array => {
    const out = new Float32Array(s.vocabSize * t.dim);
    for (let v = 0; v < s.vocabSize; v++) out.set(row(m, s.dim, v), v * t.dim);
    return out;
  };
  const tokenEmbedding = embed(w.tokenEmbedding);
  const classifier = w.classifier === w.tokenEmbedding ? tokenEmbedding : embed(w.classifier);
  return { config, tokenEmbedding, layers, finalNorm: norm(w.finalNorm), classifier };
}

function checkShape(s: LlamaConfig, t: InflateShape): InflateShape {
  const hd = s.dim / s.nHeads;
  const bad = (what: string): never => {
    throw new ConfigError(`cannot inflate dim ${s.dim}, hidden ${s.hiddenDim}, ${s.nLayers} layers, ${s.nHeads} heads / ${s.nKvHeads} kv heads: ${what}`);
  };
  for (const k of ['dim', 'hiddenDim', 'nLayers', 'nHeads', 'nKvHeads'] as const) {
    if (!Number.isInteger(t[k]) || t[k] <= 0) bad(`${k} must be a positive integer, got ${t[k]}`);
  }
  if (t.dim < s.dim) bad(`dim ${t.dim} is smaller than the source's`);
  if (t.hiddenDim < s.hiddenDim) bad(`hidden ${t.hiddenDim} is smaller than the source's`);
  if (t.nLayers < s.nLayers) bad(`layers ${t.nLayers} is fewer than the source's`);
  if (t.dim !== t.nHeads * hd) bad(`dim ${t.dim} / heads ${t.nHeads} must equal the source's head dimension ${hd} (heads = dim / ${hd})`);
  if (t.nHeads % t.nKvHeads !== 0) bad(`heads ${t.nHeads} is not a multiple of kv heads ${t.nKvHeads}`);
  const group = s.nHeads / s.nKvHeads;
  const copies = Math.ceil(group / (t.nHeads / t.nKvHeads));
  if (s.nKvHeads * copies > t.nKvHeads) {
    bad(`kv heads ${t.nKvHeads} cannot host the source's ${s.nKvHeads} kv heads with their ${group} query heads each (needs at least ${s.nKvHeads * copies})`);
  }
  return { dim: t.dim, hiddenDim: t.hiddenDim, nLayers: t.nLayers, nHeads: t.nHeads, nKvHeads: t.nKvHeads };
}

/**
 * Where the source heads go. Source kv head k gets `copies` consecutive big kv
 * heads (copies = ceil(G / G') for group sizes G, G'); its query heads fill
 * their query slots in order, so big head qHead[h] uses a big kv head that
 * holds source kv head floor(h / G). kvSource[j] = source kv head copied into
 * big kv head j, or -1.
 */
export function placeHeads(s: LlamaConfig, t: InflateShape): { qHead: Int32Array; kvSource: Int32Array } {
  const group = s.nHeads / s.nKvHeads;
  const bigGroup = t.nHeads / t.nKvHeads;
  const copies = Math.ceil(group / bigGroup);
  const kvSource = new Int32Array(t.nKvHeads).fill(-1);
  for (let k = 0; k < s.nKvHeads; k++) for (let c = 0; c < copies; c++) kvSource[k * copies + c] = k;
  const qHead = Int32Array.from({ length: s.nHeads }, (_, h) => {
    const k = Math.floor(h / group);
    const i = h % group;
    return (k * copies + Math.floor(i / bigGroup)) * bigGroup + (i % bigGroup);
  });
  return { qHead, kvSource };
}
