import type { Logits } from '../core/model.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import type { GrowContext } from '../tree/policy.js';
import type { SamplingParams } from '../sampling/params.js';

/** A request's reference documents (token ids of the target's tokenizer, no BOS), in the workload's order. */
export type References = readonly Int32Array[];

/** What a speculator learns after a step: the verified tree and what the target emitted. */
export interface StepOutcome {
  readonly tree: DraftTree;
  /** Accepted nodes of `tree`, root-to-node. */
  readonly path: Int32Array;
  /** Tokens of the accepted path, then the bonus/recovered token (the request's history grows by these). */
  readonly emitted: readonly number[];
  /** The target's logits over the tree (row 0 = root, row i + 1 = node i); valid until the next step's forward. */
  readonly target: Logits;
}

/** Draft-model work of one proposal, in tree rows (the root's included; committed tokens the draft had not cached yet are not counted). */
export interface DraftWork {
  /** Rows the draft model computed. */
  readonly rows: number;
  /** Rows whose draft distribution was taken from an earlier row with the same context (gsd). */
  readonly reused: number;
}

/** One request's speculation state (draft caches, lookup tables). */
export interface SpeculatorSession {
  /** A token tree below the request's current root. */
  propose(ctx: GrowContext): Promise<DraftTree>;
  /** Follows the target's commit (draft caches keep the accepted path) and learns from it. */
  observe(outcome: StepOutcome): Promise<void>;
  /**
   * Model-free sessions: the length of the context suffix their next
   * proposal rests on (0 = no match). Absent when it means nothing (draft models).
   */
  readonly matchLength?: () => number;
  /** Draft models: the work of the last propose() (read before observe()). Absent for model-free sessions. */
  draftWork?(): DraftWork;
  /** The request is complete (called once, after its last observe): e.g. its output joins a global suffix tree. */
  end?(): Promise<void>;
}

export interface Speculator {
  readonly kind: string;
  /**
   * The kind of trees it builds under `sampling`: sampled / deterministic /
   * mixed children, chain or tree. The config layer checks the verifier's
   * exactness with it before a run.
   */
  treeTraits(sampling: SamplingParams): TreeTraits;
  /**
   * Starts a request whose tokens so far are `prompt` (BOS first), with the
   * reference documents given with it (LLMA; each tokenized with the
   * target's tokenizer, no BOS; none when absent).
   */
  begin(prompt: Int32Array, references?: References): Promise<SpeculatorSession>;
  dispose(): Promise<void>;
}
