/**
 * Naive sampling (NS, SpecInfer section 4.3): at u draw x ~ P_llm(. | u);
 * if some child v of u has t_v = x, accept it and move to v; else emit x.
 * Every emitted token is a plain sample from the target, so NS is exact for
 * every tree; it ignores the draws (and their q).
 */
import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import { targetAt, walk, type Decision } from './common.js';
import { sampleFrom } from '../sampling/transform.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier, VerifyResult } from './types.js';

export class NsVerifier implements Verifier {
  readonly kind = 'ns';

  exactFor(_traits: TreeTraits, _sampling: SamplingParams): boolean {
    return true;
  }

  verify(tree: DraftTree, target: Logits, sampling: SamplingParams, rng: Rng): VerifyResult {
    return walk(this.kind, tree, target, (u, children): Decision => {
      const x = sampleFrom(targetAt(target, u, sampling), rng); // x ~ P_llm(. | u)
      const v = children.find((c) => tree.tokens[c] === x);
      return v === undefined ? { next: x } : { child: v };
    });
  }
}
