/**
 * A plain reference implementation of the Llama 2 forward pass (run.c's
 * forward(), one token at a time, loops over Float32Arrays, float64 sums).
 * Used by tests as ground truth for the ONNX engine; not fast, not clever.
 */
import type { LlamaWeights } from '../../src/model/weights.js';

export class ReferenceModel {
  private readonly kvDim: number;
  private readonly headDim: number;
  private readonly keyCache: Float32Array[]; // per layer [maxSeqLen, kvDim]
  private readonly valueCache: Float32Array[]; // per layer [maxSeqLen, kvDim]

  constructor(private readonly w: LlamaWeights) {
    const c = w.config;
    this.headDim = c.dim / c.nHeads;
    this.kvDim = c.nKvHeads * this.headDim;
    this.keyCache = w.layers.map(() => new Float32Array(c.maxSeqLen * this.kvDim));
    this.valueCache = w.layers.map(() => new Float32Array(c.maxSeqLen * this.kvDim));
  }

  /** Forgets the KV cache (positions can then start again at 0). */
  reset(): void {
    for (const a of [...this.keyCache, ...this.valueCache]) a.fill(0);
  }

  /**
   * Logits [vocab] for `token` at position `pos`, attending to the cached
   * positions 0..pos-1 (which must have been filled by earlier calls) and itself.
   */
  forward(token: number, pos: number): Float32Array {
    const c = this.w.config;
    if (pos < 0 || pos >= c.maxSeqLen) throw new RangeError(`pos ${pos} outside [0, ${c.maxSeqLen})`);
    if (token < 0 || token >= c.vocabSize) throw new RangeError(`token ${token} outside [0, ${c.vocabSize})`);
    const x = this.w.tokenEmbedding.slice(token * c.dim, (token + 1) * c.dim);
    this.w.layers.forEach((layer, l) => {
      const xb = rmsNorm(x, layer.attnNorm, c.normEps);
      const q = matVec(layer.wq, xb, c.nHeads * this.headDim);
      const k = matVec(layer.wk, xb, this.kvDim);
      const v = matVec(layer.wv, xb, this.kvDim);
      rope(q, pos, this.headDim, c.ropeTheta);
      rope(k, pos, this.headDim, c.ropeTheta);
      this.keyCache[l].set(k, pos * this.kvDim);
      this.valueCache[l].set(v, pos * this.kvDim);
      const att = this.attention(q, l, pos);
      addInPlace(x, matVec(layer.wo, att, c.dim));
      const xf = rmsNorm(x, layer.ffnNorm, c.normEps);
      const gate = matVec(layer.w1, xf, c.hiddenDim);
      const up = matVec(layer.w3, xf, c.hiddenDim);
      for (let i = 0; i < c.hiddenDim; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
      addInPlace(x, matVec(layer.w2, gate, c.dim));
    });
    return matVec(this.w.classifier, rmsNorm(x, this.w.finalNorm, c.normEps), c.vocabSize);
  }

  /** Multi-head attention of q [nHeads*headDim] over cached positions 0..pos of layer l. */
  private attention(q: Float32Array, l: number, pos: number): Float32Array {
    const { nHeads, nKvHeads } = this.w.config;
    const hd = this.headDim;
    const group = nHeads / nKvHeads;
    const out = new Float32Array(nHeads * hd);
    const scores = new Float64Array(pos + 1);
    for (let h = 0; h < nHeads; h++) {
      const kvOff = Math.floor(h / group) * hd;
      for (let t = 0; t <= pos; t++) {
        let s = 0;
        for (let i = 0; i < hd; i++) s += q[h * hd + i] * this.keyCache[l][t * this.kvDim + kvOff + i];
        scores[t] = s / Math.sqrt(hd);
      }
      softmaxInPlace(scores);
      for (let i = 0; i < hd; i++) {
        let s = 0;
        for (let t = 0; t <= pos; t++) s += scores[t] * this.valueCache[l][t * this.kvDim + kvOff + i];
        out[h * hd + i] = s;
      }
    }
    return out;
  }
}

/**
 * Greedy decoding (argmax, first maximum on ties) after `prompt`: returns the
 * generated ids only. Stops after `maxNew` tokens, or when BOS (id 1) is
 * produced if `stopAtBos` (that BOS is not returned), as run.c does.
 */
export function referenceGreedy(w: LlamaWeights, prompt: Int32Array, maxNew: number, stopAtBos = true): Int32Array {
  if (prompt.length === 0) throw new RangeError('referenceGreedy needs a non-empty prompt (start with BOS)');
  const model = new ReferenceModel(w);
  const out: number[] = [];
  let logits: Float32Array = new Float32Array(0);
  for (let p = 0; p < prompt.length; p++) logits = model.forward(prompt[p], p);
  let pos = prompt.length;
  while (out.length < maxNew) {
    const next = argmax(logits);
    if (stopAtBos && next === 1) break;
    out.push(next);
    if (out.length === maxNew) break;
    logits = model.forward(next, pos++);
  }
  return Int32Array.from(out);
}

/** Index of the first maximum. */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** y [rows] = W [rows, x.length] x. */
function matVec(w: Float32Array, x: Float32Array, rows: number): Float32Array {
  const n = x.length;
  if (w.length !== rows * n) throw new RangeError(`matrix has ${w.length} values, expected ${rows} x ${n}`);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += w[r * n + i] * x[i];
    y[r] = s;
  }
  return y;
}

/** x * w / sqrt(mean(x^2) + eps). */
function rmsNorm(x: Float32Array, w: Float32Array, eps: number): Float32Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * inv * w[i];
  return y;
}

/** Rotates dims (2i, 2i+1) of every head by pos / theta^(2i/headDim), in place. */
function rope(v: Float32Array, pos: number, headDim: number, theta: number): void {
  for (let j = 0; j < v.length; j += 2) {
    const i2 = j % headDim; // 2i within the head
    const angle = pos / Math.pow(theta, i2 / headDim);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const a = v[j];
    const b = v[j + 1];
    v[j] = a * cos - b * sin;
    v[j + 1] = a * sin + b * cos;
  }
}

function softmaxInPlace(a: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) max = Math.max(max, a[i]);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    a[i] = Math.exp(a[i] - max);
    sum += a[i];
  }
  for (let i = 0; i < a.length; i++) a[i] /= sum;
}

function addInPlace(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}
