import type { SamplingParams } from '../sampling/params.js';
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
  /**
   * 'level': expand the newest level's best `beam` nodes per round (EAGLE-2).
   * 'best-first': one global heap over every unexpanded node (SpecExec):
   * each round expands the best `beam` of them that can still enter the top
   * ctx.maxNodes (0 = all such), whatever their level.
   */
  readonly search: 'level' | 'best-first';
  /** Nodes kept at most, below the step's ctx.maxNodes; absent = ctx.maxNodes. */
  readonly maxNodes?: number;
}

/** A candidate node: its parent (pool index, -1 = the root), token and estimated path probability. */
interface Cand {
  readonly parent: number;
  readonly token: number;
  readonly prob: number;
  /** Level (1 = a child of the root). */
  readonly depth: number;
  /** Row in the expansion tree once expanded, else -1. */
  row: number;
  /** Its children as drawn when expanded without replacement (every draw, kept or not), else null. */
  drawn: Children | null;
}

/**
 * Dynamic tree (EAGLE-2 style, docs/design.md#building-trees). Expansion (search 'level'):
 * level by level, the `beam` best nodes of the newest level (by path
 * probability = product of the candidates' probabilities from the root)
 * each get their `topK` candidates. Search 'best-first' (SpecExec): rounds
 * expand the `beam` best unexpanded nodes of any level that can still enter
 * the top-M, so only nodes of the final tree (bar ties) are expanded. Reranking: of all candidates generated, the tree keeps the
 * best ctx.maxNodes by path probability (ties: earlier first). A child's
 * probability never exceeds its parent's, so the kept set is closed under
 * ancestors. With beam >= budget this is exactly the greedy best-first tree
 * (the top-M nodes overall), e.g. SuffixDecoding's tree growth, as is
 * 'best-first' with any beam. Expansion stops once no node that could
 * enter the top-M is left to expand.
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
    if (opts.maxNodes !== undefined && !(Number.isInteger(opts.maxNodes) && opts.maxNodes >= 0))
      throw new RangeError(`dynamic policy: maxNodes must be an integer >= 0, got ${opts.maxNodes}`);
    if (opts.search !== 'level' && opts.search !== 'best-first') throw new RangeError(`dynamic policy: search must be 'level' or 'best-first', got ${String(opts.search)}`);
    this.depth = opts.depth;
  }

  childMode(sampling: SamplingParams): ChildMode {
    return drawsDistinct(this.opts.withoutReplacement ?? false, sampling) ? 'distinct' : 'deterministic';
  }

  async grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree> {
    const budget = Math.min(ctx.maxNodes, this.opts.maxNodes ?? Infinity);
    const g: Growth = {
      distinct: this.childMode(ctx.sampling) === 'distinct',
      root: { parent: -1, token: -1, prob: 1, depth: 0, row: 0, drawn: null },
      source,
      ctx,
      expanded: new DraftTreeBuilder([source.proposerId]), // only nodes whose candidates were asked for
      pool: [],
      budget,
      beam: this.opts.beam === 0 ? budget : this.opts.beam,
      minProb: Math.max(this.opts.minProb, ctx.minProb ?? 0),
      levels: Math.min(this.depth, ctx.maxDepth),
    };
    if (g.budget > 0 && g.levels > 0) await (this.opts.search === 'best-first' ? this.bestFirst(g) : this.byLevel(g));
    return rerank(source.proposerId, g.pool, g.budget, g.root.drawn);
  }

  /** Level by level: the newest level's `beam` best nodes are expanded; stops once none can enter the top-M. */
  private async byLevel(g: Growth): Promise<void> {
    let frontier: number[] = [-1]; // pool indices to expand (-1 = the root)
    for (let level = 0; level < g.levels && frontier.length > 0; level++) {
      frontier = bestOf(g.pool, await this.expand(g, frontier), g.beam);
      if (frontier.length > 0 && g.pool.length >= g.budget && g.pool[frontier[0]].prob <= kthBest(g.pool, g.budget)) break;
    }
  }

  /** Global heap: each round the `beam` best unexpanded nodes above the top-M threshold, any level. */
  private async bestFirst(g: Growth): Promise<void> {
    const open = new Set(await this.expand(g, [-1])); // unexpanded pool indices
    for (;;) {
      const floor = g.pool.length >= g.budget ? kthBest(g.pool, g.budget) : 0;
      const eligible = [...open].filter((i) => g.pool[i].prob > floor && g.pool[i].depth < g.levels);
      const batch = bestOf(g.pool, eligible, g.beam);
      if (batch.length === 0) return;
      for (const i of batch) open.delete(i);
      for (const i of await this.expand(g, batch)) open.add(i);
    }
  }

  /** Asks for the candidates of `frontier` (pool indices; -1 = the root) in one call; returns the new pool indices. */
  private async expand(g: Growth, frontier: readonly number[]): Promise<number[]> {
    const rows = frontier.map((i) => (i < 0 ? 0 : expandRow(g.expanded, g.pool, i)));
    const proposals = await g.source.propose(g.expanded.shape(), rows);
    const fresh: number[] = [];
    frontier.forEach((parent, j) => {
      const base = parent < 0 ? g.root : g.pool[parent];
      const c = childCandidates(proposals[j], this.opts.topK, g.ctx.sampling, g.distinct, g.ctx.rng);
      if (c.q !== null) base.drawn = c;
      c.tokens.forEach((token, r) => {
        const prob = base.prob * c.probs[r];
        if (prob < g.minProb || prob <= 0) return;
        fresh.push(g.pool.length);
        g.pool.push({ parent, token, prob, depth: base.depth + 1, row: -1, drawn: null });
      });
    });
    return fresh;
  }
}

/** One grow() call's state. */
interface Growth {
  /** Children drawn without replacement (RSD) rather than the deterministic top-k. */
  readonly distinct: boolean;
  /** The root as a pool-less candidate (its drawn children are recorded on row 0). */
  readonly root: Cand;
  readonly source: CandidateSource;
  readonly ctx: GrowContext;
  readonly expanded: DraftTreeBuilder;
  readonly pool: Cand[];
  /** Nodes kept (ctx.maxNodes). */
  readonly budget: number;
  /** Nodes expanded per round. */
  readonly beam: number;
  readonly minProb: number;
  /** Deepest level. */
  readonly levels: number;
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
