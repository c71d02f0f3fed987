/**
 * Children drawn without replacement (for the RSD verifier): Gumbel-top-k
 * over the draft's distribution after the sampling transform, shared by the
 * tree policies.
 */
import type { Rng } from '../core/types.js';
import { probabilities } from '../sampling/transform.js';
import type { SamplingParams } from '../sampling/params.js';
import type { DraftTreeBuilder } from './builder.js';
import { topCandidates, topIndices, type Ranked } from './candidates.js';
import type { RowProposal } from './policy.js';

/**
 * min(k, |support of q|) distinct tokens drawn without replacement from q,
 * in draw order: the tokens with the k largest keys log q(x) + G_x, G_x
 * i.i.d. Gumbel(0, 1), sorted by key (Gumbel-top-k; the sorted order has
 * the law of drawing one token at a time from q renormalized over the tokens
 * not drawn yet). Uses one rng.uniform() per token with q(x) > 0, in token
 * order. `q` holds non-negative weights (need not sum to 1).
 */
export function gumbelTopK(q: ArrayLike<number>, k: number, rng: Rng): number[] {
  if (k <= 0) return [];
  const keys = new Float64Array(q.length).fill(-Infinity);
  let support = 0;
  for (let x = 0; x < q.length; x++) {
    if (!(q[x] > 0)) continue;
    support++;
    const e = -Math.log(1 - rng.uniform()); // Exp(1), from a uniform in (0, 1]
    keys[x] = Math.log(q[x]) - Math.log(e); // log q + Gumbel
  }
  return topIndices(keys, Math.min(k, support));
}

/** Ranked candidates plus the q they were drawn from (null = the deterministic top-k). */
export interface Children extends Ranked {
  readonly q: Float32Array | null;
}

/**
 * The k children a policy takes below one row. `distinct` with draft logits:
 * Gumbel-top-k draws from q = probabilities(logits, sampling), probs[i] =
 * q(tokens[i]), in draw order. Otherwise (or for ranked, model-free
 * proposals): topCandidates, q = null.
 */
export function childCandidates(p: RowProposal, k: number, sampling: SamplingParams, distinct: boolean, rng: Rng): Children {
  if (!distinct || p.kind !== 'logits' || k <= 0) return { ...topCandidates(p, k, sampling), q: null };
  const q = probabilities(p.logits, sampling, new Float32Array(p.logits.length));
  const tokens = gumbelTopK(q, k, rng);
  return { tokens, probs: tokens.map((t) => q[t]), q };
}

/** Records c's draws below `row` as drawn without replacement when they were (c.q set); see DistinctDraws. */
export function recordChildren(b: DraftTreeBuilder, row: number, c: Children | null): void {
  if (c !== null && c.q !== null) b.recordDistinct(row, 0, c.q, c.tokens);
}

/** Whether a policy that draws without replacement for its verifier samples at these parameters (greedy keeps top-k). */
export function drawsDistinct(withoutReplacement: boolean, sampling: SamplingParams): boolean {
  return withoutReplacement && sampling.temperature > 0;
}
