import type { Logits } from '../core/model.js';
import type { DraftTree } from '../tree/draft-tree.js';
import type { GrowContext } from '../tree/policy.js';

/** What a speculator learns after a step: the verified tree and what the target emitted. */
export interface StepOutcome {
  readonly tree: DraftTree;
  /** Accepted nodes of `tree`, root-to-node. */
  readonly path: Int32Array;
  /** Tokens of the accepted path, then the bonus/recovered token. */
  readonly emitted: readonly number[];
  /** The target's logits over the tree (row 0 = root). */
  readonly target: Logits;
}

/** One request's speculation state (draft caches, lookup tables). */
export interface SpeculatorSession {
  /** A token tree below the request's current root. */
  propose(ctx: GrowContext): Promise<DraftTree>;
  /** Follows the target's commit (draft caches keep the accepted path) and learns from it. */
  observe(outcome: StepOutcome): Promise<void>;
}

/** Static facts the config layer uses to reject inexact combinations before a run. */
export interface SpeculatorTraits {
  /** Proposes from draft distributions (draft models) rather than lookups. */
  readonly distributions: boolean;
  /** More than one proposer: trees are prefix-trie unions, never chains. */
  readonly merged: boolean;
}

export interface Speculator {
  readonly kind: string;
  readonly traits: SpeculatorTraits;
  /** Starts a request whose tokens so far are `prompt` (BOS first). */
  begin(prompt: Int32Array): Promise<SpeculatorSession>;
  dispose(): Promise<void>;
}
