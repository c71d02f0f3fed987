/**
 * The frame shared by model-free speculators (n-gram, suffix tree, token
 * recycling): per request a LookupState that proposes ranked candidates for
 * tree rows from the request's token history (and any shared tables), and
 * learns from every step; a tree policy shapes the tree from those
 * candidates. Children are deterministic draws (q = null).
 */
import { DraftTreeBuilder } from '../tree/builder.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import type { CandidateSource, GrowContext, RowProposal, TreePolicy } from '../tree/policy.js';
import type { TreeShape } from '../core/tree-shape.js';
import type { SamplingParams } from '../sampling/params.js';
import type { References, Speculator, SpeculatorSession, StepOutcome } from './types.js';

/** One request's lookup state: a candidate source over its history. */
export interface LookupState extends CandidateSource {
  /** A new step's tree starts (drop per-row caches). */
  reset(): void;
  /** Learns a step: the history grows by outcome.emitted (and tables from the target's logits). */
  observe(outcome: StepOutcome): void;
  /** Length of the context suffix the root's proposal rests on (0 = none); absent when meaningless. */
  matchLength?(): number;
  /** The step's grow context, narrowed by the speculator (node cap, probability floor). */
  limits?(ctx: GrowContext): GrowContext;
  /** The request is complete. */
  end?(): void;
}

/** A tree without nodes, from one proposer. */
function emptyTree(proposerId: string): DraftTree {
  return new DraftTreeBuilder([proposerId]).finish();
}

class LookupSession implements SpeculatorSession {
  readonly matchLength?: () => number;

  constructor(
    private readonly state: LookupState,
    private readonly policy: TreePolicy,
  ) {
    if (state.matchLength) this.matchLength = () => state.matchLength?.() ?? 0;
  }

  async propose(ctx: GrowContext): Promise<DraftTree> {
    this.state.reset();
    const narrowed = this.state.limits?.(ctx) ?? ctx;
    if (narrowed.maxNodes <= 0 || narrowed.maxDepth <= 0) return emptyTree(this.state.proposerId);
    return this.policy.grow(this.state, narrowed);
  }

  async observe(outcome: StepOutcome): Promise<void> {
    this.state.observe(outcome);
  }

  async end(): Promise<void> {
    this.state.end?.();
  }
}

/** A model-free speculator: `open` makes each request's state; `policy` shapes its trees. */
export class LookupSpeculator implements Speculator {
  constructor(
    readonly kind: string,
    private readonly policy: TreePolicy,
    private readonly open: (prompt: Int32Array, references: References) => LookupState,
  ) {}

  treeTraits(_sampling: SamplingParams): TreeTraits {
    return { children: 'deterministic', chain: this.policy.chain };
  }

  async begin(prompt: Int32Array, references: References = []): Promise<SpeculatorSession> {
    return new LookupSession(this.open(prompt, references), this.policy);
  }

  async dispose(): Promise<void> {}
}

/** Tokens of the root path of `row` (row 0 = the root: none), root-to-row order. */
export function rowPath(tree: TreeShape, row: number): number[] {
  const path: number[] = [];
  for (let v = row - 1; v >= 0; v = tree.parents[v]) path.push(tree.tokens[v]);
  return path.reverse();
}

/** The last n tokens of history + rowPath(tree, row) (fewer when shorter), and the row's depth. */
export function contextTail(history: readonly number[], tree: TreeShape, row: number, n: number): { tail: number[]; depth: number } {
  const path = rowPath(tree, row);
  const fromHistory = Math.max(0, n - path.length);
  const tail = [...history.slice(Math.max(0, history.length - fromHistory)), ...path.slice(Math.max(0, path.length - n))];
  return { tail, depth: path.length };
}

/** A row without candidates. */
export const NO_PROPOSAL: RowProposal = { kind: 'ranked', tokens: [], probs: [] };
