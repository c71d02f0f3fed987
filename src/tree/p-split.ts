import type { SamplingParams } from '../verifiers/types.js';
import { DraftTreeBuilder } from './builder.js';
import { topCandidates } from './candidates.js';
import type { DraftTree } from './draft-tree.js';
import type { CandidateSource, ChildMode, GrowContext, TreePolicy } from './policy.js';

export interface PSplitOptions {
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
 * it has no candidate. Children are deterministic (q = null).
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

  childMode(_sampling: SamplingParams): ChildMode {
    return 'deterministic';
  }

  async grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree> {
    const b = new DraftTreeBuilder([source.proposerId]);
    const minProb = ctx.minProb ?? 0;
    let tips: Tip[] = [{ row: 0, prob: 1 }];
    let branches = 1;
    const levels = Math.min(this.depth, ctx.maxDepth);
    for (let level = 0; level < levels && tips.length > 0; level++) {
      const proposals = await source.propose(b.shape(), tips.map((t) => t.row));
      const next: Tip[] = [];
      tips.forEach((tip, j) => {
        const c = topCandidates(proposals[j], this.opts.maxBranches - branches + 1, ctx.sampling);
        if (c.tokens.length === 0 || c.probs[0] < this.opts.pMin) return; // the branch ends
        c.tokens.forEach((token, r) => {
          const prob = tip.prob * c.probs[r];
          if (b.size >= ctx.maxNodes || prob < minProb) return;
          if (r > 0 && !(c.probs[r] > this.opts.pSplit && branches < this.opts.maxBranches)) return;
          if (r > 0) branches++;
          next.push({ row: b.draw(tip.row, token, 0, null) + 1, prob });
        });
      });
      tips = next;
    }
    return b.finish();
  }
}
