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
import { checkRows, rowChildren } from './common.js';
import type { SamplingParams, Verifier, VerifyResult } from './types.js';

export class GreedyVerifier implements Verifier {
  readonly kind = 'greedy';

  /** Greedy output equals the target's only when the target is sampled greedily. */
  exactFor(_traits: TreeTraits, sampling: SamplingParams): boolean {
    return sampling.temperature === 0;
  }

  verify(tree: DraftTree, target: Logits, _sampling: SamplingParams, _rng: Rng): VerifyResult {
    checkRows(this.kind, tree, target);
    const children = rowChildren(tree);
    const path: number[] = [];
    let u = 0; // row of u: 0 = root, i + 1 = node i
    for (;;) {
      const t = argmax(target.row(u)); // argmax O(u)
      const v = children[u].find((c) => tree.tokens[c] === t);
      if (v === undefined) {
        return { path: Int32Array.from(path), next: t, nextKind: children[u].length > 0 ? 'recovered' : 'bonus' };
      }
      path.push(v);
      u = v + 1;
    }
  }
}
