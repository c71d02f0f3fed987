import type { SamplingParams } from '../verifiers/types.js';
import { DraftTreeBuilder } from './builder.js';
import type { DraftTree } from './draft-tree.js';
import { childCandidates, drawsDistinct, recordChildren, type Children } from './distinct.js';
import type { CandidateSource, ChildMode, DrawOptions, GrowContext, TreePolicy } from './policy.js';

export interface DynamicOptions extends DrawOptions {
  /** Levels to expand at most. */
  readonly depth: number;
  /** Candidates taken below each expanded node. */
  readonly topK: number;
  /** Nodes expanded per level (the best N of the level by path probability); 0 = the node budget. */
  readonly beam: number;
  /** Candidates whose path probability is below this are dropped (also ctx.minProb, whichever is larger). */
  readonly minProb: number;
}

/** A candidate node: its parent (pool index, -1 = the root), token and estimated path probability. */
interface Cand {
  readonly parent: number;
  readonly token: number;
  readonly prob: number;
  /** Row in the expansion tree once expanded, else -1. */
  row: number;
  /** Its children as drawn when expanded without replacement (every draw, kept or not), else null. */
  drawn: Children | null;
}

/**
 * Dynamic tree (EAGLE-2 style, SPEC section 4). Expansion: level by level,
 * the `beam` best nodes of the newest level (by path probability = product
 * of the candidates' probabilities from the root) each get their `topK`
 * candidates. Reranking: of all candidates generated, the tree keeps the
 * best ctx.maxNodes by path probability (ties: earlier first). A child's
 * probability never exceeds its parent's, so the kept set is closed under
 * ancestors. With beam >= budget this is exactly the greedy best-first tree
 * (the top-M nodes overall), e.g. SuffixDecoding's tree growth. Expansion
 * stops early once no frontier node can enter the top-M any more.
 * Children are deterministic (q = null), or with withoutReplacement at
 * temperature > 0 the topK are drawn without replacement from q (ranked by
 * path probability as above; the dropped draws stay recorded, so RSD still
 * tests them).
 */
export class DynamicPolicy implements TreePolicy {
  readonly kind = 'dynamic';
  readonly chain = false;
  readonly depth: number;

  constructor(private readonly opts: DynamicOptions) {
    if (!Number.isInteger(opts.depth) || opts.depth < 1) throw new RangeError(`dynamic policy: depth must be a positive integer, got ${opts.depth}`);
    if (!Number.isInteger(opts.topK) || opts.topK < 1) throw new RangeError(`dynamic policy: topK must be a positive integer, got ${opts.topK}`);
    if (!Number.isInteger(opts.beam) || opts.beam < 0) throw new RangeError(`dynamic policy: beam must be an integer >= 0, got ${opts.beam}`);
    if (!(opts.minProb >= 0 && opts.minProb <= 1)) throw new RangeError(`dynamic policy: minProb must be in [0, 1], got ${opts.minProb}`);
    this.depth = opts.depth;
  }

  childMode(sampling: SamplingParams): ChildMode {
    return drawsDistinct(this.opts.withoutReplacement ?? false, sampling) ? 'distinct' : 'deterministic';
  }

  async grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree> {
    const distinct = this.childMode(ctx.sampling) === 'distinct';
    const root: Cand = { parent: -1, token: -1, prob: 1, row: 0, drawn: null };
    const budget = ctx.maxNodes;
    const beam = this.opts.beam === 0 ? budget : this.opts.beam;
    const minProb = Math.max(this.opts.minProb, ctx.minProb ?? 0);
    const expanded = new DraftTreeBuilder([source.proposerId]); // only nodes whose candidates were asked for
    const pool: Cand[] = [];
    let frontier: number[] = [-1]; // pool indices to expand (-1 = the root)
    const levels = Math.min(this.depth, ctx.maxDepth);
    for (let level = 0; level < levels && frontier.length > 0 && budget > 0; level++) {
      const rows = frontier.map((i) => (i < 0 ? 0 : expandRow(expanded, pool, i)));
      const proposals = await source.propose(expanded.shape(), rows);
      const fresh: number[] = [];
      frontier.forEach((parent, j) => {
        const at = parent < 0 ? root : pool[parent];
        const c = childCandidates(proposals[j], this.opts.topK, ctx.sampling, distinct, ctx.rng);
        if (c.q !== null) at.drawn = c;
        c.tokens.forEach((token, r) => {
          const prob = at.prob * c.probs[r];
          if (prob < minProb || prob <= 0) return;
          fresh.push(pool.length);
          pool.push({ parent, token, prob, row: -1, drawn: null });
        });
      });
      frontier = bestOf(pool, fresh, beam);
      if (frontier.length > 0 && pool.length >= budget && pool[frontier[0]].prob <= kthBest(pool, budget)) break;
    }
    return rerank(source.proposerId, pool, budget, root.drawn);
  }
}

/** Adds pool node i (its parent is already expanded) to the expansion tree; returns its row. */
function expandRow(b: DraftTreeBuilder, pool: Cand[], i: number): number {
  const c = pool[i];
  const parentRow = c.parent < 0 ? 0 : pool[c.parent].row;
  c.row = b.draw(parentRow, c.token, 0, null) + 1;
  return c.row;
}

/** Order of pool indices: higher probability first, then earlier. */
function byRank(pool: readonly Cand[]): (a: number, b: number) => number {
  return (a, b) => pool[b].prob - pool[a].prob || a - b;
}

/** The n best of `indices`, best first. */
function bestOf(pool: readonly Cand[], indices: readonly number[], n: number): number[] {
  return [...indices].sort(byRank(pool)).slice(0, n);
}

/** Probability of the k-th best pool node. */
function kthBest(pool: readonly Cand[], k: number): number {
  return pool.map((c) => c.prob).sort((a, b) => b - a)[k - 1];
}

/**
 * The tree of the `budget` best pool nodes, in pool order (parents before
 * children), with the without-replacement records of the root (`rootDrawn`)
 * and of every kept node that was expanded.
 */
function rerank(proposerId: string, pool: readonly Cand[], budget: number, rootDrawn: Children | null): DraftTree {
  const keep = bestOf(pool, [...pool.keys()], budget).sort((a, b) => a - b);
  const b = new DraftTreeBuilder([proposerId]);
  recordChildren(b, 0, rootDrawn);
  const rowOf = new Map<number, number>([[-1, 0]]);
  for (const i of keep) {
    const c = pool[i];
    const parentRow = rowOf.get(c.parent);
    if (parentRow === undefined) continue; // cannot happen: ancestors rank higher
    const q = c.parent < 0 ? (rootDrawn?.q ?? null) : (pool[c.parent].drawn?.q ?? null);
    const row = b.draw(parentRow, c.token, 0, q) + 1;
    rowOf.set(i, row);
    recordChildren(b, row, c.drawn);
  }
  return b.finish();
}
