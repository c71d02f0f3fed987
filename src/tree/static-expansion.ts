import { probabilities, sampleFrom } from '../verifiers/sampling.js';
import type { SamplingParams } from '../verifiers/types.js';
import { DraftTreeBuilder } from './builder.js';
import type { DraftTree } from './draft-tree.js';
import type { CandidateSource, ChildMode, GrowContext, TreePolicy } from './policy.js';

export interface StaticExpansionOptions {
  /** <k1, ..., km>: at level i every frontier node gets k_i children. */
  readonly expansion: readonly number[];
  /** 'auto' samples when temperature > 0 and takes the top-k when greedy. */
  readonly children?: 'auto' | 'sample' | 'top-k';
}

/**
 * SpecInfer's expansion-based tree (SPEC section 4): m levels; at level i each
 * frontier node gets its top-k_i draft tokens (greedy) or k_i draws with
 * replacement from the draft distribution q (stochastic; duplicate draws
 * share a node). `<1,...,1>` is a chain: sequence-based speculation.
 * The node budget is applied before drawing at each node (a node gets
 * min(k_i, budget left) draws), so draws stay i.i.d. given the tree above.
 */
export class StaticExpansionPolicy implements TreePolicy {
  readonly kind: string;
  readonly depth: number;
  readonly chain: boolean;

  constructor(private readonly opts: StaticExpansionOptions) {
    if (opts.expansion.length === 0 || opts.expansion.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new RangeError(`expansion must be a non-empty list of positive integers, got [${opts.expansion.join(', ')}]`);
    }
    this.depth = opts.expansion.length;
    this.chain = opts.expansion.every((k) => k === 1);
    this.kind = this.chain ? 'chain' : 'static';
  }

  childMode(sampling: SamplingParams): ChildMode {
    const mode = this.opts.children ?? 'auto';
    if (mode === 'auto') return sampling.temperature > 0 ? 'sampled' : 'deterministic';
    return mode === 'sample' ? 'sampled' : 'deterministic';
  }

  async grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree> {
    const b = new DraftTreeBuilder([source.proposerId]);
    const sampled = this.childMode(ctx.sampling) === 'sampled';
    let frontier = [0];
    const levels = Math.min(this.depth, ctx.maxDepth);
    for (let level = 0; level < levels && frontier.length > 0 && b.size < ctx.maxNodes; level++) {
      const k = this.opts.expansion[level];
      const logits = await source.logits(b.shape(), frontier);
      const next: number[] = [];
      frontier.forEach((row, j) => {
        const draws = Math.min(k, ctx.maxNodes - b.size);
        const before = b.size;
        if (sampled) {
          const q = probabilities(logits[j], ctx.sampling, new Float32Array(logits[j].length));
          for (let d = 0; d < draws; d++) b.draw(row, sampleFrom(q, ctx.rng), 0, q);
        } else {
          for (const token of topK(logits[j], draws)) b.draw(row, token, 0, null);
        }
        for (let node = before; node < b.size; node++) next.push(node + 1);
      });
      frontier = next;
    }
    return b.finish();
  }
}

/** Indices of the k largest values, largest first (first index on ties). */
export function topK(v: Float32Array, k: number): number[] {
  const out: number[] = [];
  const taken = new Set<number>();
  for (let i = 0; i < Math.min(k, v.length); i++) {
    let best = -1;
    for (let t = 0; t < v.length; t++) if (!taken.has(t) && (best < 0 || v[t] > v[best])) best = t;
    taken.add(best);
    out.push(best);
  }
  return out;
}
