import { probabilities, sampleFrom } from '../sampling/transform.js';
import type { SamplingParams } from '../sampling/params.js';
import { DraftTreeBuilder } from './builder.js';
import { topCandidates, topTokens } from './candidates.js';
import type { DraftTree } from './draft-tree.js';
import { childCandidates, recordChildren } from './distinct.js';
import type { CandidateSource, ChildMode, DrawOptions, GrowContext, RowProposal, TreePolicy } from './policy.js';

export interface StaticExpansionOptions extends DrawOptions {
  /** <k1, ..., km>: at level i every frontier node gets k_i children. */
  readonly expansion: readonly number[];
  /** 'auto' samples when temperature > 0 and takes the top-k when greedy. */
  readonly children?: 'auto' | 'sample' | 'top-k';
}

/** A frontier row and its estimated path probability (tracked only when ctx.minProb > 0, else NaN). */
interface Open {
  readonly row: number;
  readonly prob: number;
}

/**
 * SpecInfer's expansion-based tree (docs/design.md#building-trees), grown breadth-first: m
 * levels; at level i each frontier node gets its top-k_i candidates
 * (deterministic) or k_i draws with replacement from the draft distribution
 * q (stochastic, draft logits only; duplicate draws share a node).
 * `<1,...,1>` is a chain: sequence-based speculation. The node budget is
 * applied before drawing at each node (a node gets min(k_i, budget left)
 * draws, in BFS order), so draws stay i.i.d. given the tree above. With
 * withoutReplacement, sampled children are k_i distinct draws without
 * replacement instead (Gumbel-top-k, recorded for RSD). A ranked
 * (model-free) proposal may offer fewer than k_i candidates, or none.
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
    const sample = mode === 'auto' ? sampling.temperature > 0 : mode === 'sample';
    if (!sample) return 'deterministic';
    return this.opts.withoutReplacement ? 'distinct' : 'sampled';
  }

  async grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree> {
    const b = new DraftTreeBuilder([source.proposerId]);
    const mode = this.childMode(ctx.sampling);
    let frontier: Open[] = [{ row: 0, prob: 1 }];
    const levels = Math.min(this.depth, ctx.maxDepth);
    for (let level = 0; level < levels && frontier.length > 0 && b.size < ctx.maxNodes; level++) {
      const k = this.opts.expansion[level];
      const proposals = await source.propose(
        b.shape(),
        frontier.map((f) => f.row),
      );
      const next: Open[] = [];
      frontier.forEach((f, j) => {
        const draws = Math.min(k, ctx.maxNodes - b.size);
        const p = proposals[j];
        if (mode === 'sampled' && p.kind === 'logits') next.push(...sampleChildren(b, f, p.logits, draws, ctx));
        else if (mode === 'distinct' && p.kind === 'logits') next.push(...distinctChildren(b, f, p, draws, ctx));
        else next.push(...topChildren(b, f, p, draws, ctx));
      });
      frontier = next;
    }
    return b.finish();
  }
}

/** `draws` i.i.d. draws from q below f (duplicates share a node); returns the new nodes. */
function sampleChildren(b: DraftTreeBuilder, f: Open, logits: Float32Array, draws: number, ctx: GrowContext): Open[] {
  if (draws <= 0) return [];
  const q = probabilities(logits, ctx.sampling, new Float32Array(logits.length));
  const before = b.size;
  const probOf = new Map<number, number>();
  for (let d = 0; d < draws; d++) {
    const token = sampleFrom(q, ctx.rng);
    const node = b.draw(f.row, token, 0, q);
    probOf.set(node, f.prob * q[token]);
  }
  const out: Open[] = [];
  for (let node = before; node < b.size; node++) out.push({ row: node + 1, prob: probOf.get(node) ?? 0 });
  return out;
}

/** `draws` distinct draws without replacement from q below f, recorded for RSD; returns the new nodes. */
function distinctChildren(b: DraftTreeBuilder, f: Open, p: RowProposal, draws: number, ctx: GrowContext): Open[] {
  const c = childCandidates(p, draws, ctx.sampling, true, ctx.rng);
  recordChildren(b, f.row, c);
  return c.tokens.map((token, i) => ({ row: b.draw(f.row, token, 0, c.q) + 1, prob: f.prob * c.probs[i] }));
}

/** The top `draws` candidates below f as deterministic draws, skipping those under ctx.minProb. */
function topChildren(b: DraftTreeBuilder, f: Open, p: RowProposal, draws: number, ctx: GrowContext): Open[] {
  // Without a probability cut the ranking is all that is needed.
  if (!((ctx.minProb ?? 0) > 0)) return topTokens(p, draws, ctx.sampling).map((token) => ({ row: b.draw(f.row, token, 0, null) + 1, prob: NaN }));
  const c = topCandidates(p, draws, ctx.sampling);
  const out: Open[] = [];
  c.tokens.forEach((token, i) => {
    const prob = f.prob * c.probs[i];
    if (prob < (ctx.minProb ?? 0)) return;
    out.push({ row: b.draw(f.row, token, 0, null) + 1, prob });
  });
  return out;
}
