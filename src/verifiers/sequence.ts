/**
 * Classic speculative sampling for a chain (Leviathan et al. 2023, Chen et
 * al. 2023): for each chain node x_i in order, accept with probability
 * min(1, p(x_i) / q(x_i)), else emit from norm(max(0, p - q)) at that
 * position; if all are accepted, emit a bonus sample from p at the last node.
 * q is the node's one draw's q, or the point mass on x_i when it is null.
 * Needs width 1 everywhere: one child and one draw per expanded row.
 */
import { ConfigError } from '../core/errors.js';
import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import { acceptDraw, checkRows, drawsAt, finish, residualInPlace, rowChildren, targetAt } from './common.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier, VerifyResult } from './types.js';

export class SequenceVerifier implements Verifier {
  readonly kind = 'sequence';

  /** Exact on chains whose one draw per row declares its true q (sampled or a point mass). */
  exactFor(traits: TreeTraits, _sampling: SamplingParams): boolean {
    return traits.chain;
  }

  verify(tree: DraftTree, target: Logits, sampling: SamplingParams, rng: Rng): VerifyResult {
    checkRows(this.kind, tree, target);
    const children = rowChildren(tree);
    checkChain(tree, children);
    const path: number[] = [];
    let u = 0; // row of the current position: 0 = root, i + 1 = node i
    for (;;) {
      const p = targetAt(target, u, sampling);
      const draws = drawsAt(this.kind, tree, u, children[u], target.vocabSize);
      if (draws.length === 0) return finish(path, p, false, rng); // bonus from p at the last node
      const { child, q } = draws[0];
      const x = tree.tokens[child];
      if (!acceptDraw(p, x, q, rng)) return finish(path, residualInPlace(p, x, q), true, rng);
      path.push(child);
      u = child + 1;
    }
  }
}

/** Throws a ConfigError naming the first row with more than one child or draw. */
function checkChain(tree: DraftTree, children: readonly (readonly number[])[]): void {
  for (let row = 0; row < children.length; row++) {
    const draws = tree.draws[row]?.length ?? 0;
    if (children[row].length <= 1 && draws <= 1) continue;
    const where = row === 0 ? 'the root' : `node ${row - 1}`;
    throw new ConfigError(
      `the 'sequence' verifier needs a chain (one child and one draw per node), but ${where} has ` +
        `${children[row].length} children and ${draws} draws; use the 'mss' verifier for trees or a chain tree policy`,
    );
  }
}
