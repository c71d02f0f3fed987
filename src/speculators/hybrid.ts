/**
 * Several speculators at once. 'merge': every part proposes (each with the
 * node budget the union has left) and the trees are merged by prefix union,
 * keeping each part's draws. 'switch': one part per step, by a rule: the
 * first part (in order) whose match is at least minMatch tokens long; parts
 * without a match length (draft models) always qualify; if none does, the
 * last part. E.g. [suffix, SSM] = the suffix tree when its match is long
 * enough, else the SSM. Every part observes every step.
 */
import { mergeTrees } from '../tree/builder.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import type { GrowContext } from '../tree/policy.js';
import type { SamplingParams } from '../sampling/params.js';
import type { References, Speculator, SpeculatorSession, StepOutcome } from './types.js';

export interface HybridOptions {
  readonly mode: 'merge' | 'switch';
  /** 'switch': the match length a part needs to be chosen. */
  readonly minMatch: number;
}

export class HybridSpeculator implements Speculator {
  readonly kind = 'hybrid';

  constructor(
    private readonly parts: readonly Speculator[],
    private readonly opts: HybridOptions,
  ) {
    if (parts.length === 0) throw new RangeError('a hybrid speculator needs at least one part');
    if (!Number.isInteger(opts.minMatch) || opts.minMatch < 0) throw new RangeError(`hybrid: minMatch must be an integer >= 0, got ${opts.minMatch}`);
  }

  treeTraits(sampling: SamplingParams): TreeTraits {
    const traits = this.parts.map((p) => p.treeTraits(sampling));
    const kinds = new Set(traits.map((t) => t.children).filter((c) => c !== 'none'));
    const children = kinds.size === 0 ? 'none' : kinds.size === 1 ? [...kinds][0] : 'mixed';
    const chain = traits.every((t) => t.chain) && (this.opts.mode === 'switch' || this.parts.length === 1);
    return { children, chain };
  }

  async begin(prompt: Int32Array, references?: References): Promise<SpeculatorSession> {
    const sessions: SpeculatorSession[] = [];
    for (const p of this.parts) sessions.push(await p.begin(prompt, references));
    return new HybridSession(sessions, this.opts);
  }

  async dispose(): Promise<void> {
    for (const p of this.parts) await p.dispose();
  }
}

class HybridSession implements SpeculatorSession {
  readonly matchLength?: () => number;

  constructor(
    private readonly parts: readonly SpeculatorSession[],
    private readonly opts: HybridOptions,
  ) {
    const lookups = parts.filter((p) => p.matchLength !== undefined);
    if (lookups.length > 0) this.matchLength = () => Math.max(...lookups.map((p) => p.matchLength?.() ?? 0));
  }

  async propose(ctx: GrowContext): Promise<DraftTree> {
    if (this.opts.mode === 'switch') return this.chosen().propose(ctx);
    let merged: DraftTree | null = null;
    for (const p of this.parts) {
      const left = ctx.maxNodes - (merged?.tokens.length ?? 0);
      const tree = await p.propose({ ...ctx, maxNodes: left });
      merged = merged === null ? tree : mergeTrees([merged, tree]);
    }
    return merged as DraftTree;
  }

  async observe(outcome: StepOutcome): Promise<void> {
    for (const p of this.parts) await p.observe(outcome);
  }

  async end(): Promise<void> {
    for (const p of this.parts) await p.end?.();
  }

  /** The part the rule picks for this step. */
  private chosen(): SpeculatorSession {
    const ok = this.parts.find((p) => p.matchLength === undefined || p.matchLength() >= this.opts.minMatch);
    return ok ?? this.parts[this.parts.length - 1];
  }
}
