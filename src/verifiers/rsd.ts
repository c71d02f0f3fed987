/**
 * VerifyRecursive: recursive speculative decoding (RSD, Jeon et al. 2024),
 * recursive rejection sampling over siblings drawn WITHOUT replacement.
 *
 *     u = root
 *     loop:
 *         p = P_llm(. | u)
 *         for each point-mass draw x of u (q = null), in record order:
 *             r ~ U[0,1); if r < p(x): accept x; u = child x; next u
 *             p := norm(p with p(x) = 0)
 *         for each without-replacement record (q, x_1..x_k) of u (DistinctDraws):
 *             q' := q
 *             for i = 1..k:
 *                 r ~ U[0,1); if r < p(x_i) / q'(x_i):
 *                     accept x_i: u = its node, next u; or, when the policy
 *                     kept no node for x_i, emit x_i and stop
 *                 p  := norm(max(0, p - q'))
 *                 q' := norm(q' with q'(x_i) = 0)      (x_i cannot come again)
 *         emit x ~ p                                    (the final residual)
 *
 * Why it is exact: each test proposes a token whose law, given the path to
 * u and every token tested before it at u, is exactly the proposal it is
 * tested against: the point mass for a deterministic child; for the i-th
 * token of a record, q renormalized over the record's tokens drawn before it
 * (that is the law of Gumbel-top-k's sorted order; other records and
 * deterministic children are independent of it). Under that, one test
 * emits min(p, q') directly and leaves norm(max(0, p - q')) as the law of
 * the token given rejection, so by induction the token leaving u (accepted
 * or the final sample) is distributed exactly as P_llm(. | u), at any
 * temperature. A record lists every token drawn, also those the policy kept
 * no node for: dropping draws by their value would bias the tokens tested
 * (such a token, once accepted, is a correct sample and simply ends the
 * walk). The draws below an accepted child are made after the child is
 * known, so the argument repeats there. Proof obligations the input must
 * meet (checked): every draw with a q is listed in a record of its proposer
 * (i.i.d. draws are not exact here: use mss), record tokens are distinct
 * with q > 0. Not renormalizing q' after a rejection, or sampling siblings
 * with replacement, breaks it: see the tests.
 */
import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { DistinctDraws, Draw, DraftTree, TreeTraits } from '../tree/draft-tree.js';
import { acceptDraw, drawsAt, residualInPlace, targetAt, walk, type Decision } from './common.js';
import { sampleFrom } from '../sampling/transform.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier, VerifyResult } from './types.js';

/** The draws of one row, checked, in test order: point masses first, then each record. */
interface RowTests {
  readonly points: readonly Draw[];
  readonly records: readonly DistinctDraws[];
}

export class RsdVerifier implements Verifier {
  readonly kind = 'rsd';
  readonly withoutReplacement = true;

  /** Exact for siblings drawn without replacement (recorded) or deterministic ones, not for i.i.d. draws. */
  exactFor(traits: TreeTraits, _sampling: SamplingParams): boolean {
    return traits.children === 'distinct' || traits.children === 'deterministic' || traits.children === 'none';
  }

  verify(tree: DraftTree, target: Logits, sampling: SamplingParams, rng: Rng): VerifyResult {
    return walk(this.kind, tree, target, (u, children): Decision => {
      const p = targetAt(target, u, sampling); // fresh P_llm(. | u), becomes the residual
      const x = acceptAt(p, testsAt(tree, u, children, target.vocabSize), tree, rng);
      if (x === null) return { next: sampleFrom(p, rng) };
      const v = children.find((c) => tree.tokens[c] === x);
      return v === undefined ? { next: x } : { child: v }; // no node: a correct sample that ends the walk
    });
  }
}

/** The accepted token at a row (p turned into the residual of every rejection before it), or null when all were rejected. */
function acceptAt(p: Float64Array, tests: RowTests, tree: DraftTree, rng: Rng): number | null {
  for (const d of tests.points) {
    const x = tree.tokens[d.child];
    if (acceptDraw(p, x, null, rng)) return x;
    residualInPlace(p, x, null);
  }
  for (const r of tests.records) {
    const x = acceptFromRecord(p, r, rng);
    if (x !== null) return x;
  }
  return null;
}

/** One record's tokens tested in draw order against q renormalized over the untried tokens. */
function acceptFromRecord(p: Float64Array, r: DistinctDraws, rng: Rng): number | null {
  const q = Float64Array.from(r.q);
  for (const x of r.tokens) {
    if (acceptDraw(p, x, q, rng)) return x;
    residualInPlace(p, x, q);
    removeInPlace(q, x);
  }
  return null;
}

/** q := norm(q with q(x) = 0). The caller never removes the last token of q's support (records list distinct tokens with q > 0). */
function removeInPlace(q: Float64Array, x: number): void {
  q[x] = 0;
  let mass = 0;
  for (let i = 0; i < q.length; i++) mass += q[i];
  for (let i = 0; i < q.length; i++) q[i] /= mass;
}

/** The row's draws split into point masses and records, after checking the obligations of the file comment. */
function testsAt(tree: DraftTree, row: number, children: readonly number[], vocab: number): RowTests {
  const draws = drawsAt('rsd', tree, row, children, vocab);
  const records = tree.distinct?.[row] ?? [];
  for (const r of records) checkRecord(r, row, vocab);
  for (const d of draws) {
    if (d.q === null || records.some((r) => r.proposer === d.proposer && r.tokens.includes(tree.tokens[d.child]))) continue;
    throw new RangeError(
      `rsd verifier: node ${d.child} (token ${tree.tokens[d.child]}) of row ${row} was sampled with replacement (a q but no without-replacement record); ` +
        'rsd needs siblings drawn without replacement (the tree policies do so when the verifier is rsd), or use mss',
    );
  }
  return { points: draws.filter((d) => d.q === null), records };
}

function checkRecord(r: DistinctDraws, row: number, vocab: number): void {
  if (r.q.length !== vocab) throw new RangeError(`rsd verifier: a record of row ${row} has a q of ${r.q.length} entries but the vocabulary is ${vocab}`);
  if (new Set(r.tokens).size !== r.tokens.length || r.tokens.some((x) => !(r.q[x] > 0))) {
    throw new RangeError(`rsd verifier: a record of row ${row} lists tokens [${r.tokens.join(', ')}]; they must be distinct, each with q > 0`);
  }
}
