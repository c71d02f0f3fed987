/**
 * The sampling transform (docs/design.md#verification): temperature, then top-k, then
 * top-p (nucleus), applied the same way to the target's and the drafts'
 * logits. Verifiers use it to get P_llm(. | u); draft-model speculators use
 * it to get the q they sample from and record in their Draws.
 *
 * Cost: O(V) when topK = 0 and topP = 1 (no sorting); top-k keeps a
 * size-k heap (O(V log k)) and sorts only the k kept; top-p alone finds the
 * nucleus by quickselect on mass (expected O(V), never a full sort).
 */
import { ConfigError } from '../core/errors.js';
import { argmax } from '../core/math.js';
import type { Rng } from '../core/types.js';
import { nucleusBySelect, prefixReaching, topK } from './rank.js';
import type { SamplingParams } from './params.js';

/** Throws a ConfigError naming the field when `s` is not valid; returns `s`. */
export function checkSampling(s: SamplingParams): SamplingParams {
  const t = s.temperature;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new ConfigError(`sampling.temperature must be a finite number >= 0 (0 = greedy), got ${String(t)}`);
  }
  if (typeof s.topK !== 'number' || !Number.isInteger(s.topK) || s.topK < 0) {
    throw new ConfigError(`sampling.topK must be an integer >= 0 (0 = off), got ${String(s.topK)}`);
  }
  const p = s.topP;
  if (typeof p !== 'number' || !(p > 0 && p <= 1)) {
    throw new ConfigError(`sampling.topP must be in (0, 1] (1 = off), got ${String(p)}`);
  }
  return s;
}

/**
 * The distribution after the sampling transform, computed in float64:
 * softmax(logits / temperature) (max-subtracted, so stable), restricted to
 * the topK most probable tokens (0 = off), then to the smallest set of most
 * probable tokens whose mass is >= topP (1 = off), renormalized after each
 * cut. Ties rank the lower token id first. temperature 0 gives a point mass
 * on argmax(logits) (the first maximum). Written into `out` when given (a
 * Float32Array for a draft's q), else into a new Float64Array.
 */
export function probabilities(logits: ArrayLike<number>, s: SamplingParams): Float64Array;
export function probabilities<T extends Float32Array | Float64Array>(logits: ArrayLike<number>, s: SamplingParams, out: T): T;
export function probabilities(logits: ArrayLike<number>, s: SamplingParams, out?: Float32Array | Float64Array): Float32Array | Float64Array {
  checkSampling(s);
  const v = logits.length;
  if (out !== undefined && out.length !== v) throw new RangeError(`probabilities: out has ${out.length} entries, logits ${v}`);
  if (s.temperature === 0) {
    const p = out ?? new Float64Array(v);
    p.fill(0);
    p[argmax(logits)] = 1;
    return p;
  }
  const p = out instanceof Float64Array ? out : new Float64Array(v);
  softmaxInto(logits, 1 / s.temperature, p);
  let ranked: Int32Array | null = null;
  if (s.topK > 0 && s.topK < v) {
    ranked = topK(p, s.topK);
    keepOnly(p, ranked, ranked.length);
  }
  if (s.topP < 1) {
    const m = ranked !== null ? prefixReaching(p, ranked, s.topP) : nucleusBySelect(p, s.topP);
    keepOnly(p, m.order, m.size);
  }
  if (out !== undefined && out !== p) out.set(p);
  return out ?? p;
}

/** p := softmax(logits * invT), in place; throws when no logit is finite. */
function softmaxInto(logits: ArrayLike<number>, invT: number, p: Float64Array): void {
  const max = maxOf(logits);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] - max) * invT);
    p[i] = e;
    sum += e;
  }
  checkSum(sum, max);
  for (let i = 0; i < p.length; i++) p[i] /= sum;
}

/**
 * softmax(logits * invT) at `tokens` only, without a vocabulary-sized array:
 * the same arithmetic as probabilities() with temperature 1/invT and no
 * top-k/top-p, so the values are bit-identical to its entries.
 */
export function softmaxAt(logits: ArrayLike<number>, invT: number, tokens: readonly number[]): number[] {
  const max = maxOf(logits);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] - max) * invT);
  checkSum(sum, max);
  return tokens.map((t) => Math.exp((logits[t] - max) * invT) / sum);
}

/**
 * Whether softmax(logits * invT) is positive at each of `tokens`, decided as
 * softmaxAt() would (its entries are e_t / sum with 1 <= sum <= V), without
 * the exponentials of the whole vocabulary; throws where softmaxAt throws.
 */
export function positiveAt(logits: ArrayLike<number>, invT: number, tokens: readonly number[]): boolean[] {
  let max = -Infinity;
  let nan = false;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (v > max) max = v;
    else if (v !== v) nan = true;
  }
  if (!Number.isFinite(max) || nan) checkSum(NaN, max);
  return tokens.map((t) => Math.exp((logits[t] - max) * invT) > 0);
}

function maxOf(logits: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  return max;
}

function checkSum(sum: number, max: number): void {
  if (!(sum > 0 && Number.isFinite(sum))) {
    throw new RangeError(`probabilities: logits have no finite maximum (max ${max}); the model produced NaN or +-Infinity`);
  }
}

/** Zeroes every token but order[0..size) and renormalizes. */
function keepOnly(p: Float64Array, order: Int32Array, size: number): void {
  let mass = 0;
  for (let m = 0; m < size; m++) mass += p[order[m]];
  const kept = new Float64Array(size);
  for (let m = 0; m < size; m++) kept[m] = p[order[m]] / mass;
  p.fill(0);
  for (let m = 0; m < size; m++) p[order[m]] = kept[m];
}

/**
 * x ~ p by inverse CDF with one rng.uniform(). `p` holds non-negative
 * weights (need not sum to 1 exactly: the uniform is scaled by their sum);
 * a zero-weight token is never returned.
 */
export function sampleFrom(p: ArrayLike<number>, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) total += p[i];
  if (!(total > 0 && Number.isFinite(total))) throw new RangeError(`sampleFrom: weights sum to ${total}; need a positive finite sum`);
  const target = rng.uniform() * total;
  let cum = 0;
  let last = -1;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] > 0)) continue;
    cum += p[i];
    last = i;
    if (target < cum) return i;
  }
  return last; // rounding: target landed at the very end
}
