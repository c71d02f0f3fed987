/**
 * Naive sampling (NS, SpecInfer section 4.3): at u draw x ~ P_llm(. | u);
 * if some child v of u has t_v = x, accept it and move to v; else emit x.
 * Every emitted token is a plain sample from the target, so NS is exact for
 * every tree; it ignores the draws (and their q).
 */
import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import { checkRows, rowChildren, targetAt } from './common.js';
import { sampleFrom } from './sampling.js';
import type { SamplingParams, Verifier, VerifyResult } from './types.js';

export class NsVerifier implements Verifier {
  readonly kind = 'ns';

  exactFor(_traits: TreeTraits, _sampling: SamplingParams): boolean {
    return true;
  }

  verify(tree: DraftTree, target: Logits, sampling: SamplingParams, rng: Rng): VerifyResult {
    checkRows(this.kind, tree, target);
    const children = rowChildren(tree);
    const path: number[] = [];
    let u = 0; // row of u: 0 = root, i + 1 = node i
    for (;;) {
      const x = sampleFrom(targetAt(target, u, sampling), rng); // x ~ P_llm(. | u)
      const v = children[u].find((c) => tree.tokens[c] === x);
      if (v === undefined) {
        return { path: Int32Array.from(path), next: x, nextKind: children[u].length > 0 ? 'recovered' : 'bonus' };
      }
      path.push(v);
      u = v + 1;
    }
  }
}
