/**
 * VerifyGreedy(O, N), SpecInfer Algorithm 2:
 *
 *     u = root
 *     while some child v of u has t_v = argmax O(u): accept t_v; u = v
 *     emit argmax O(u)
 *
 * O(u) = the target's logits at u (the sampling transform is irrelevant at
 * temperature 0; argmax takes the first maximum). Draws are not consulted.
 */
import { argmax } from '../core/math.js';
import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import { walk, type Decision } from './common.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier, VerifyResult } from './types.js';

export class GreedyVerifier implements Verifier {
  readonly kind = 'greedy';

  /** Greedy output equals the target's only when the target is sampled greedily. */
  exactFor(_traits: TreeTraits, sampling: SamplingParams): boolean {
    return sampling.temperature === 0;
  }

  verify(tree: DraftTree, target: Logits, _sampling: SamplingParams, _rng: Rng): VerifyResult {
    return walk(this.kind, tree, target, (u, children): Decision => {
      const t = argmax(target.row(u)); // argmax O(u)
      const v = children.find((c) => tree.tokens[c] === t);
      return v === undefined ? { next: t } : { child: v };
    });
  }
}
