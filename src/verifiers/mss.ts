/**
 * VerifyStochastic: multi-step speculative sampling (MSS), SpecInfer
 * Algorithm 2, run over the MULTISET of draws at each node (docs/design.md#verification).
 *
 *     u = root
 *     while u has draws:
 *         H = draws(u)                       (two draws of one token stay two)
 *         while H not empty:
 *             pick s uniformly from H; r ~ U[0,1)
 *             if r < P_llm(x_s | u) / P_ssm(s)(x_s | u): accept x_s; u = child(s); next u
 *             P_llm(. | u) := norm(max(0, P_llm(. | u) - P_ssm(s)(. | u))); H -= s
 *         break
 *     emit x ~ P_llm(. | u)                  (the residual if draws were rejected)
 *
 * P_ssm(s) is the draw's q, or the point mass on x_s when q is null.
 *
 * Why it is exact for sampled, deterministic and mixed children alike: at
 * each u this is recursive rejection sampling. If each draw x_s, given the
 * path to u and the draws tested before it, is distributed as its declared
 * P_ssm(s) (true for i.i.d. draws with replacement, trivially true for a
 * deterministic choice declared as a point mass, and for independent
 * proposers merged together), then one test emits min(p, q) directly and
 * passes the rest of p's mass on as the residual, so the token leaving u
 * (accepted child or final sample) is distributed exactly as P_llm(. | u).
 * The order of the tests is drawn uniformly, independently of the draws'
 * values, so this holds for every order. The draws below an accepted child
 * depend only on the path, so the argument repeats at the child with the
 * fresh target distribution. Declaring a wrong q (the draft's q for a top-k
 * child, or one q for several draws of a token) breaks it: see the tests.
 */
import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { Draw, DraftTree, TreeTraits } from '../tree/draft-tree.js';
import { acceptDraw, drawsAt, residualInPlace, targetAt, walk, type Decision } from './common.js';
import { sampleFrom } from '../sampling/transform.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier, VerifyResult } from './types.js';

export class MssVerifier implements Verifier {
  readonly kind = 'mss';

  /**
   * Exact for every kind of children as long as each draw declares its true
   * q (see the file comment); siblings drawn without replacement do not
   * (their law is q renormalized over the earlier draws: use rsd).
   */
  exactFor(traits: TreeTraits, _sampling: SamplingParams): boolean {
    return traits.children !== 'distinct';
  }

  verify(tree: DraftTree, target: Logits, sampling: SamplingParams, rng: Rng): VerifyResult {
    return walk(this.kind, tree, target, (u, children): Decision => {
      const p = targetAt(target, u, sampling); // fresh P_llm(. | u)
      const H = [...drawsAt(this.kind, tree, u, children, target.vocabSize)];
      const s = H.length > 0 ? acceptOne(p, H, tree, rng) : null;
      return s === null ? { next: sampleFrom(p, rng) } : { child: s.child };
    });
  }
}

/**
 * The inner loop at one node: tests draws of H (consumed) in a uniformly
 * random order; returns the accepted draw, or null with p turned into the
 * residual after every rejection.
 */
function acceptOne(p: Float64Array, H: Draw[], tree: DraftTree, rng: Rng): Draw | null {
  while (H.length > 0) {
    const i = Math.floor(rng.uniform() * H.length); // s uniform in H
    const s = H[i];
    const x = tree.tokens[s.child];
    if (acceptDraw(p, x, s.q, rng)) return s;
    residualInPlace(p, x, s.q);
    H[i] = H[H.length - 1]; // H := H - {s}
    H.pop();
  }
  return null;
}
