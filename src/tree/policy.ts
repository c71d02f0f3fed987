import type { Rng } from '../core/types.js';
import type { SamplingParams } from '../verifiers/types.js';
import type { DraftTree } from './draft-tree.js';
import type { TreeShape } from './tree.js';

/**
 * A proposer's view for tree policies: the draft logits after given rows of
 * the tree built so far (row 0 = the root, row i + 1 = node i). A draft model
 * answers with one forward over the rows it has not seen yet.
 */
export interface CandidateSource {
  readonly proposerId: string;
  logits(tree: TreeShape, rows: readonly number[]): Promise<readonly Float32Array[]>;
}

export interface GrowContext {
  readonly sampling: SamplingParams;
  readonly rng: Rng;
  /** Node budget: the tree never has more nodes. */
  readonly maxNodes: number;
  /** Depth limit (e.g. what is left of the context). */
  readonly maxDepth: number;
}

/** How a policy picks children: drawn i.i.d. from q, or the deterministic top-k. */
export type ChildMode = 'sampled' | 'deterministic';

/** Decides a tree's shape from one proposer's candidates. */
export interface TreePolicy {
  readonly kind: string;
  /** Deepest level it can build. */
  readonly depth: number;
  /** Whether it samples children (true q recorded) or picks them deterministically, under `sampling`. */
  childMode(sampling: SamplingParams): ChildMode;
  /** True when every level has width 1 (sequence-based speculation). */
  readonly chain: boolean;
  grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree>;
}
