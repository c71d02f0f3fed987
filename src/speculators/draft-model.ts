import type { Model, Sequence } from '../core/model.js';
import { mergeTrees } from '../tree/builder.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import type { CandidateSource, GrowContext, RowProposal, TreePolicy } from '../tree/policy.js';
import type { TreeShape } from '../core/tree-shape.js';
import type { SamplingParams } from '../sampling/params.js';
import { followCommit } from './follow.js';
import type { DraftWork, Speculator, SpeculatorSession, StepOutcome } from './types.js';

/** A draft model's sequence as a candidate source, driven by its session step by step. */
export interface DraftRowSource extends CandidateSource {
  readonly seq: Sequence;
  /** The tree the draft scored last in this step (its rows are cached), or null. */
  readonly scored: TreeShape | null;
  /** Draft rows computed and rows served from another row's distribution since reset(). */
  readonly work: DraftWork;
  /** Starts a step: nothing scored, no work. */
  reset(): void;
}

/** Makes the source of one draft model's sequence. */
export type DraftSourceFactory = (proposerId: string, seq: Sequence) => DraftRowSource;

/**
 * Small speculative models (SSMs). With one model the tree policy shapes its
 * tree (expansion-based); with several, each builds a tree with the same
 * policy and the trees are merged (merge-based, prefix-trie union). Each SSM
 * expands one whole tree level per forward and keeps its KV cache in step
 * with the target's commits. A layer-skip self-draft is one such model
 * (the target's first layers), with kind 'layer-skip'.
 */
export class DraftModelSpeculator implements Speculator {
  constructor(
    private readonly models: readonly Model[],
    private readonly policy: TreePolicy,
    readonly kind: string = 'draft-model',
    private readonly makeSource: DraftSourceFactory = (id, seq) => new DraftSource(id, seq),
  ) {
    if (models.length === 0) throw new RangeError('a draft-model speculator needs at least one draft model');
  }

  treeTraits(sampling: SamplingParams): TreeTraits {
    return { children: this.policy.childMode(sampling), chain: this.policy.chain && this.models.length === 1 };
  }

  async begin(prompt: Int32Array): Promise<SpeculatorSession> {
    const sources = await Promise.all(this.models.map(async (m) => this.makeSource(m.info.id, await m.open(prompt))));
    return new DraftModelSession(sources, this.policy);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.models.map((m) => m.dispose()));
  }
}

/** One SSM's sequence as a candidate source; remembers the last tree it scored. Every row of every tree it is shown is computed. */
class DraftSource implements DraftRowSource {
  scored: TreeShape | null = null;
  private rows = 0;

  constructor(
    readonly proposerId: string,
    readonly seq: Sequence,
  ) {}

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    this.rows += tree.tokens.length + 1 - (this.scored === null ? 0 : this.scored.tokens.length + 1);
    const logits = await this.seq.score(tree);
    this.scored = tree;
    return rows.map((r) => ({ kind: 'logits', logits: logits.row(r) }));
  }

  get work(): DraftWork {
    return { rows: this.rows, reused: 0 };
  }

  reset(): void {
    this.scored = null;
    this.rows = 0;
  }
}

class DraftModelSession implements SpeculatorSession {
  constructor(
    private readonly sources: readonly DraftRowSource[],
    private readonly policy: TreePolicy,
  ) {}

  async propose(ctx: GrowContext): Promise<DraftTree> {
    // Each SSM gets the budget the union has left, so the merge never exceeds ctx.maxNodes.
    let merged: DraftTree | null = null;
    for (const s of this.sources) {
      s.reset();
      const left = ctx.maxNodes - (merged?.tokens.length ?? 0);
      const tree = await this.policy.grow(s, { ...ctx, maxNodes: left });
      merged = merged === null ? tree : mergeTrees([merged, tree]);
    }
    return merged as DraftTree;
  }

  /** Follows the commit; a step this session did not propose for (a hybrid's other part) leaves every token uncached. */
  async observe(outcome: StepOutcome): Promise<void> {
    for (const s of this.sources) {
      followCommit(s.seq, s.scored, outcome.emitted);
      s.reset();
    }
  }

  /** Summed over the draft models; read after propose(). */
  draftWork(): DraftWork {
    return this.sources.reduce((w, s) => ({ rows: w.rows + s.work.rows, reused: w.reused + s.work.reused }), { rows: 0, reused: 0 });
  }
}
