import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { SamplingParams } from '../sampling/params.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';

/** The outcome of verifying one tree. */
export interface VerifyResult {
  /** Accepted nodes, root-to-node order (may be empty). */
  readonly path: Int32Array;
  /** The token the target emits after the path. */
  readonly next: number;
  /** 'bonus' when the path ends at a leaf (nothing left to reject), else 'recovered'. */
  readonly nextKind: 'bonus' | 'recovered';
}

export interface Verifier {
  readonly kind: string;
  /** True when tree policies must draw sampled siblings without replacement for it (DrawOptions.withoutReplacement; RSD). */
  readonly withoutReplacement?: boolean;
  /** True when the emitted tokens follow the target's distribution exactly for such trees and sampling. */
  exactFor(traits: TreeTraits, sampling: SamplingParams): boolean;
  /** `target.row(0)` = root logits, `target.row(i + 1)` = logits after node i. */
  verify(tree: DraftTree, target: Logits, sampling: SamplingParams, rng: Rng): VerifyResult;
}
