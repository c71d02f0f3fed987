import type { SamplingParams } from '../sampling/params.js';
import { DraftTreeBuilder } from './builder.js';
import type { DraftTree } from './draft-tree.js';
import { childCandidates, drawsDistinct, recordChildren } from './distinct.js';
import type { CandidateSource, ChildMode, DrawOptions, GrowContext, TreePolicy } from './policy.js';

export interface PSplitOptions extends DrawOptions {
  /** Levels (draft length) at most. */
  readonly depth: number;
  /** A branch splits when a runner-up candidate's probability exceeds this. */
  readonly pSplit: number;
  /** A branch stops when its best candidate's probability is below this (llama.cpp's p_min; 0 = never). */
  readonly pMin: number;
  /** Most branches the tree may have (1 = a plain chain). */
  readonly maxBranches: number;
}

/** Tip of a branch and its estimated path probability. */
interface Tip {
  readonly row: number;
  readonly prob: number;
}

/**
 * Threshold splitting (llama.cpp's speculative example, p_split): every
 * branch is a chain that extends by its best candidate; at each step, the
 * runner-up candidates (2nd, 3rd, ...) whose probability exceeds pSplit
 * each start a new branch, while fewer than maxBranches branches exist. A
 * branch ends when its best candidate's probability is below pMin, or when
 * it has no candidate. Children are deterministic (q = null), or with
 * withoutReplacement at temperature > 0 drawn without replacement from q
 * ("best" = first drawn, "runner-up" = drawn later; draws the rules drop
 * stay recorded, so RSD still tests them).
 */
export class PSplitPolicy implements TreePolicy {
  readonly kind = 'p-split';
  readonly depth: number;
  readonly chain: boolean;

  constructor(private readonly opts: PSplitOptions) {
    if (!Number.isInteger(opts.depth) || opts.depth < 1) throw new RangeError(`p-split policy: depth must be a positive integer, got ${opts.depth}`);
    if (!(opts.pSplit >= 0 && opts.pSplit <= 1)) throw new RangeError(`p-split policy: pSplit must be in [0, 1], got ${opts.pSplit}`);
    if (!(opts.pMin >= 0 && opts.pMin <= 1)) throw new RangeError(`p-split policy: pMin must be in [0, 1], got ${opts.pMin}`);
    if (!Number.isInteger(opts.maxBranches) || opts.maxBranches < 1) {
      throw new RangeError(`p-split policy: maxBranches must be a positive integer, got ${opts.maxBranches}`);
    }
    this.depth = opts.depth;
    this.chain = opts.maxBranches === 1;
  }

  childMode(sampling: SamplingParams): ChildMode {
    return drawsDistinct(this.opts.withoutReplacement ?? false, sampling) ? 'distinct' : 'deterministic';
  }

  async grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree> {
    const distinct = this.childMode(ctx.sampling) === 'distinct';
    const b = new DraftTreeBuilder([source.proposerId]);
    const minProb = ctx.minProb ?? 0;
    let tips: Tip[] = [{ row: 0, prob: 1 }];
    let branches = 1;
    const levels = Math.min(this.depth, ctx.maxDepth);
    for (let level = 0; level < levels && tips.length > 0; level++) {
      const proposals = await source.propose(
        b.shape(),
        tips.map((t) => t.row),
      );
      const next: Tip[] = [];
      tips.forEach((tip, j) => {
        const c = childCandidates(proposals[j], this.opts.maxBranches - branches + 1, ctx.sampling, distinct, ctx.rng);
        recordChildren(b, tip.row, c);
        if (c.tokens.length === 0 || c.probs[0] < this.opts.pMin) return; // the branch ends
        c.tokens.forEach((token, r) => {
          const prob = tip.prob * c.probs[r];
          if (b.size >= ctx.maxNodes || prob < minProb) return;
          if (r > 0 && !(c.probs[r] > this.opts.pSplit && branches < this.opts.maxBranches)) return;
          if (r > 0) branches++;
          next.push({ row: b.draw(tip.row, token, 0, c.q) + 1, prob });
        });
      });
      tips = next;
    }
    return b.finish();
  }
}
