/**
 * Turning row proposals into ranked candidates, shared by the tree policies.
 */
import { argmax } from '../core/math.js';
import { positiveAt, probabilities, softmaxAt } from '../sampling/transform.js';
import type { SamplingParams } from '../sampling/params.js';
import type { RowProposal } from './policy.js';

/** Candidates best first; `probs[i]` is the estimated probability of `tokens[i]`. */
export interface Ranked {
  readonly tokens: readonly number[];
  readonly probs: readonly number[];
}

const NO_CANDIDATES: Ranked = { tokens: [], probs: [] };

const SOFTMAX_T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };

/**
 * The distribution used to *score* draft candidates (dynamic trees, p_split,
 * path probabilities): the sampling transform when temperature > 0, else the
 * draft's plain softmax (temperature 1), since the greedy transform is a
 * point mass that says nothing about the runners-up.
 */
function scoringParams(sampling: SamplingParams): SamplingParams {
  return sampling.temperature > 0 ? sampling : SOFTMAX_T1;
}

/**
 * The k best candidates of a proposal. Logits rank by logit (first index on
 * ties; the same order as the scoring distribution), with probabilities from
 * scoringParams(sampling); tokens the transform gives probability 0 (cut by
 * top-k / top-p) are dropped. Ranked proposals give their first k.
 */
export function topCandidates(p: RowProposal, k: number, sampling: SamplingParams): Ranked {
  if (k <= 0) return NO_CANDIDATES;
  if (p.kind === 'ranked') return { tokens: p.tokens.slice(0, k), probs: p.probs.slice(0, k) };
  const s = scoringParams(sampling);
  const top = topIndices(p.logits, k);
  // Without truncation the scoring distribution is a plain softmax: only the k entries are computed.
  const q = s.topK === 0 && s.topP === 1 ? softmaxAt(p.logits, 1 / s.temperature, top) : pick(probabilities(p.logits, s), top);
  const tokens: number[] = [];
  const probs: number[] = [];
  top.forEach((t, i) => {
    if (!(q[i] > 0)) return;
    tokens.push(t);
    probs.push(q[i]);
  });
  return { tokens, probs };
}

/** The tokens of topCandidates(p, k, sampling), in its order, without computing their probabilities. */
export function topTokens(p: RowProposal, k: number, sampling: SamplingParams): readonly number[] {
  if (k <= 0) return [];
  if (p.kind === 'ranked') return p.tokens.slice(0, k);
  const s = scoringParams(sampling);
  if (s.topK !== 0 || s.topP !== 1) return topCandidates(p, k, sampling).tokens;
  const top = topIndices(p.logits, k);
  const positive = positiveAt(p.logits, 1 / s.temperature, top);
  return top.filter((_, i) => positive[i]);
}

function pick(q: Float64Array, tokens: readonly number[]): number[] {
  return tokens.map((t) => q[t]);
}

/**
 * Indices of the k largest values, largest first (first index on ties).
 * O(V k) worst case with an insertion-sorted window, O(V) in practice for small k.
 */
export function topIndices(v: ArrayLike<number>, k: number): number[] {
  const n = Math.min(k, v.length);
  // k = 1 (chains) is the argmax, which keeps the same first index on ties and the same NaN handling.
  if (n === 1) return [argmax(v)];
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (out.length === n && !(v[i] > v[out[n - 1]])) continue;
    let j = out.length < n ? out.length : n - 1;
    if (out.length < n) out.push(i);
    while (j > 0 && v[i] > v[out[j - 1]]) {
      out[j] = out[j - 1];
      j--;
    }
    out[j] = i;
  }
  return out;
}
