/**
 * Deliberately WRONG verification, for the power checks only: the
 * statistical tests must reject these (p-value < 1e-6).
 */
import type { Logits } from '../../src/core/model.js';
import type { Rng } from '../../src/core/types.js';
import type { Draw, DraftTree } from '../../src/tree/draft-tree.js';
import { acceptDraw, finish, rowChildren, targetAt } from '../../src/verifiers/common.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import type { Verifier, VerifyResult } from '../../src/verifiers/types.js';

/** MSS that, after rejecting a draw, keeps testing against (and finally samples from) the unchanged P_llm: no residual. */
export class NoResidualMss implements Verifier {
  readonly kind = 'mss-no-residual';

  exactFor(): boolean {
    return false;
  }

  verify(tree: DraftTree, target: Logits, sampling: SamplingParams, rng: Rng): VerifyResult {
    const children = rowChildren(tree);
    const path: number[] = [];
    for (let u = 0; ;) {
      const p = targetAt(target, u, sampling);
      const H = [...tree.draws[u]];
      let accepted: Draw | null = null;
      while (H.length > 0 && accepted === null) {
        const i = Math.floor(rng.uniform() * H.length);
        const s = H[i];
        if (acceptDraw(p, tree.tokens[s.child], s.q, rng)) accepted = s;
        H.splice(i, 1); // WRONG: P_llm(. | u) is not replaced by the residual
      }
      if (accepted === null) return finish(path, p, children[u].length > 0, rng);
      path.push(accepted.child);
      u = accepted.child + 1;
    }
  }
}

/** The tree with each node's repeated draws (same row, same child) collapsed into one: MSS over the set, not the multiset. */
export function mergeDuplicateDraws(tree: DraftTree): DraftTree {
  const draws = tree.draws.map((row) => row.filter((d, i) => row.findIndex((e) => e.child === d.child) === i));
  return { ...tree, draws };
}

/** RSD without renormalizing q after a rejection: each recorded token becomes its own record, tested against the original q. */
export function unrenormalizedRecords(tree: DraftTree): DraftTree {
  const distinct = tree.distinct?.map((row) => row.flatMap((r) => r.tokens.map((x) => ({ ...r, tokens: [x] }))));
  return { ...tree, distinct };
}

/** Records that forget the draws the policy kept no node for (the value-dependent cut then biases the tested tokens). */
export function forgetUnkeptDraws(tree: DraftTree): DraftTree {
  const kept = (row: number): number[] =>
    Array.from(tree.parents.keys())
      .filter((i) => tree.parents[i] + 1 === row)
      .map((i) => tree.tokens[i]);
  const distinct = tree.distinct?.map((recs, row) => recs.map((r) => ({ ...r, tokens: r.tokens.filter((x) => kept(row).includes(x)) })));
  return { ...tree, distinct };
}

/** Records whose tokens are tested most probable first instead of in draw order. */
export function recordsByProbability(tree: DraftTree): DraftTree {
  const distinct = tree.distinct?.map((row) => row.map((r) => ({ ...r, tokens: [...r.tokens].sort((a, b) => r.q[b] - r.q[a]) })));
  return { ...tree, distinct };
}
