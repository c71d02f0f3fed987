import type { Rng } from '../core/types.js';
import type { SamplingParams } from '../sampling/params.js';
import type { DraftTree } from './draft-tree.js';
import type { TreeShape } from '../core/tree-shape.js';

/**
 * What a proposer says about the token that follows one tree row.
 *
 * - `logits`: a draft model's logits [vocab]. A policy may *sample* children
 *   from q = probabilities(logits, sampling) (recorded in the Draw as q) or
 *   take the top-k deterministically (q = null).
 * - `ranked`: a model-free proposer's candidates, best first, with estimated
 *   probabilities (`probs[i]` for `tokens[i]`, in (0, 1]; may be empty).
 *   Children are always deterministic draws (q = null), which MSS treats as
 *   point masses, so stochastic verification stays exact.
 */
export type RowProposal =
  { readonly kind: 'logits'; readonly logits: Float32Array } | { readonly kind: 'ranked'; readonly tokens: readonly number[]; readonly probs: readonly number[] };

/**
 * A proposer's view for tree policies: what follows given rows of the tree
 * built so far (row 0 = the root, row i + 1 = node i). `tree` only ever
 * grows within one grow() call (later calls extend earlier shapes). A draft
 * model answers with one forward over the rows it has not seen yet; a
 * model-free proposer looks the row's context (history + path) up.
 */
export interface CandidateSource {
  readonly proposerId: string;
  propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]>;
}

export interface GrowContext {
  readonly sampling: SamplingParams;
  readonly rng: Rng;
  /** Node budget: the tree never has more nodes. */
  readonly maxNodes: number;
  /** Depth limit (e.g. what is left of the context). */
  readonly maxDepth: number;
  /**
   * Skip deterministic children whose estimated path probability (product of
   * the candidates' probabilities from the root) is below this; 0 or absent =
   * keep all. Set by speculators (e.g. the suffix tree's minTokenProb). Never
   * applied to sampled children (that would bias the draws).
   */
  readonly minProb?: number;
}

/**
 * How a policy picks children from draft logits: drawn i.i.d. from q
 * ('sampled'), drawn without replacement from q ('distinct', for the RSD
 * verifier), or the deterministic top-k.
 */
export type ChildMode = 'sampled' | 'distinct' | 'deterministic';

/** Options every policy takes from the run rather than from its config. */
export interface DrawOptions {
  /** Draw sampled siblings without replacement (Gumbel-top-k, recorded as DistinctDraws) when temperature > 0: the verifier needs it (RSD). */
  readonly withoutReplacement?: boolean;
}

/** Decides a tree's shape from one proposer's candidates. */
export interface TreePolicy {
  readonly kind: string;
  /** Deepest level it can build. */
  readonly depth: number;
  /**
   * Whether it samples children from draft logits (true q recorded) or picks
   * them deterministically, under `sampling`. Ranked (model-free) proposals
   * always give deterministic children.
   */
  childMode(sampling: SamplingParams): ChildMode;
  /** True when every level has width 1 (sequence-based speculation). */
  readonly chain: boolean;
  grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree>;
}
