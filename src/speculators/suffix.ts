/**
 * SuffixDecoding (Oliaro et al., arXiv 2411.04975): a per-request suffix
 * tree over the prompt and output so far, and a global one over the outputs
 * of earlier requests of the same run (the last maxCachedRequests, oldest
 * evicted first), updated when a request ends.
 *
 * Per tree row, the row's context (history + path) is matched in both
 * trees: the longest suffix (<= maxDepth tokens) that occurred before with
 * a continuation. The deeper match proposes its continuations (on a tie the
 * two trees' counts are added), ranked by count, with estimated probability
 * count(w t) / count of w's continuations. The speculator caps the tree at
 * floor(maxSpecFactor * matchLength) nodes (matchLength = the root's match)
 * and skips nodes whose path probability is below minTokenProb; its default
 * policy grows the tree greedily by path probability (dynamic, beam = budget).
 */
import type { GrowContext, RowProposal } from '../tree/policy.js';
import type { TreeShape } from '../tree/tree.js';
import { NO_PROPOSAL, type LookupState } from './lookup.js';
import { SuffixTrie } from './suffix-tree.js';
import type { StepOutcome } from './types.js';

export interface SuffixOptions {
  /** Longest suffix matched (and depth of the suffix trees). */
  readonly maxDepth: number;
  /** Tree size cap per token of the root's match length. */
  readonly maxSpecFactor: number;
  /** Path probability floor for tree nodes. */
  readonly minTokenProb: number;
  /** Earlier outputs kept in the global tree. */
  readonly maxCachedRequests: number;
}

/** The global tree over earlier outputs: a bounded queue of sequences, oldest evicted first. */
export class SuffixCache {
  readonly trie: SuffixTrie;
  private readonly outputs: Int32Array[] = [];

  constructor(private readonly opts: SuffixOptions) {
    if (!(opts.maxSpecFactor >= 0)) throw new RangeError(`suffix: maxSpecFactor must be >= 0, got ${opts.maxSpecFactor}`);
    if (!(opts.minTokenProb >= 0 && opts.minTokenProb <= 1)) throw new RangeError(`suffix: minTokenProb must be in [0, 1], got ${opts.minTokenProb}`);
    if (!Number.isInteger(opts.maxCachedRequests) || opts.maxCachedRequests < 0) {
      throw new RangeError(`suffix: maxCachedRequests must be an integer >= 0, got ${opts.maxCachedRequests}`);
    }
    this.trie = new SuffixTrie(opts.maxDepth);
  }

  get cachedRequests(): number {
    return this.outputs.length;
  }

  /** Adds a finished request's output; evicts the oldest beyond maxCachedRequests. O((new + evicted tokens) * maxDepth). */
  add(output: Int32Array): void {
    if (this.opts.maxCachedRequests === 0 || output.length === 0) return;
    this.outputs.push(output);
    this.trie.addSequence(output, 1);
    while (this.outputs.length > this.opts.maxCachedRequests) this.trie.addSequence(this.outputs.shift() as Int32Array, -1);
  }
}

/** Match states of one row in the request tree and the global tree. */
interface RowMatch {
  readonly local: number;
  readonly global: number;
}

export class SuffixState implements LookupState {
  readonly proposerId = 'suffix';
  private readonly local: SuffixTrie;
  private readonly history: number[] = [];
  private cursor = 0; // node of the history's longest suffix in the request tree
  private globalState = 0;
  private globalVersion = -1;
  private rows: RowMatch[] = [];
  private readonly promptLength: number;

  constructor(
    private readonly opts: SuffixOptions,
    private readonly cache: SuffixCache,
    prompt: Int32Array,
  ) {
    this.local = new SuffixTrie(opts.maxDepth);
    this.promptLength = prompt.length;
    for (const t of prompt) this.append(t);
  }

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    return rows.map((row) => this.proposal(this.rowMatch(tree, row)));
  }

  reset(): void {
    this.rows = [];
  }

  observe(outcome: StepOutcome): void {
    for (const t of outcome.emitted) this.append(t);
  }

  matchLength(): number {
    const m = this.rootMatch();
    return Math.max(this.local.depth(this.local.continuation(m.local)), this.cache.trie.depth(this.cache.trie.continuation(m.global)));
  }

  limits(ctx: GrowContext): GrowContext {
    const cap = Math.floor(this.opts.maxSpecFactor * this.matchLength() + 1e-9);
    return { ...ctx, maxNodes: Math.min(ctx.maxNodes, cap), minProb: Math.max(ctx.minProb ?? 0, this.opts.minTokenProb) };
  }

  end(): void {
    this.cache.add(Int32Array.from(this.history.slice(this.promptLength)));
  }

  private append(t: number): void {
    this.history.push(t);
    this.cursor = this.local.extend(this.cursor, t, 1);
    if (this.globalVersion === this.cache.trie.version) this.globalState = this.cache.trie.advance(this.globalState, t);
  }

  /** Row 0's match states; the global one is recomputed when the global tree changed. */
  private rootMatch(): RowMatch {
    const g = this.cache.trie;
    if (this.globalVersion !== g.version) {
      this.globalState = g.match(this.history);
      this.globalVersion = g.version;
    }
    return { local: this.cursor, global: this.globalState };
  }

  /** Match states of every row up to `row` (each from its parent's, one advance per tree). */
  private rowMatch(tree: TreeShape, row: number): RowMatch {
    if (this.rows.length === 0) this.rows.push(this.rootMatch());
    for (let r = this.rows.length; r <= row; r++) {
      const parent = this.rows[tree.parents[r - 1] + 1];
      const t = tree.tokens[r - 1];
      this.rows.push({ local: this.local.advance(parent.local, t), global: this.cache.trie.advance(parent.global, t) });
    }
    return this.rows[row];
  }

  private proposal(m: RowMatch): RowProposal {
    const g = this.cache.trie;
    const a = this.local.continuation(m.local);
    const b = g.continuation(m.global);
    const la = this.local.depth(a);
    const lb = g.depth(b);
    if (Math.max(la, lb) === 0) return NO_PROPOSAL;
    const counts = new Map<number, number>();
    let total = 0;
    for (const [trie, v, use] of [[this.local, a, la >= lb], [g, b, lb >= la]] as const) {
      if (!use) continue;
      const c = trie.continuations(v);
      c.tokens.forEach((t, i) => counts.set(t, (counts.get(t) ?? 0) + c.counts[i]));
      total += c.total;
    }
    const ranked = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    return { kind: 'ranked', tokens: ranked.map((e) => e[0]), probs: ranked.map((e) => e[1] / total) };
  }
}
