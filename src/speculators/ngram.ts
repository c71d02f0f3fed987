/**
 * N-gram / prompt lookup speculation (LLMA "inference with reference",
 * prompt lookup decoding): match the last n tokens of the context (n from
 * maxN down to minN) in the request's prompt + generated text and propose
 * what followed. Several distinct continuations become branches, ranked by
 * the most recent occurrence or by frequency.
 *
 * The index maps every n-gram (minN <= n <= maxN) to the end positions of
 * its occurrences that already have a following token, so appending a token
 * costs O(maxN^2) and a lookup O(maxN^2 + SCAN_LIMIT), independent of the
 * history length.
 */
import type { GrowContext, RowProposal } from '../tree/policy.js';
import type { TreeShape } from '../core/tree-shape.js';
import { contextTail, NO_PROPOSAL, type LookupState } from './lookup.js';
import type { StepOutcome } from './types.js';

export interface NgramOptions {
  readonly minN: number;
  readonly maxN: number;
  /** Candidates per row at most (branches of the tree). */
  readonly maxBranches: number;
  /** 'recent': the latest occurrence's continuation first; 'frequent': the most frequent first (ties: recent). */
  readonly rank: 'recent' | 'frequent';
}

/** Occurrences examined per lookup (the most recent ones). */
const SCAN_LIMIT = 64;

/** A lookup result: the n that matched (0 = none) and the continuations, best first. */
export interface NgramMatch {
  readonly n: number;
  readonly tokens: readonly number[];
  readonly counts: readonly number[];
  /** Occurrences examined (the denominator of the estimated probabilities). */
  readonly scanned: number;
}

const NO_MATCH: NgramMatch = { n: 0, tokens: [], counts: [], scanned: 0 };

export class NgramIndex {
  readonly tokens: number[] = [];
  /** maps[n - minN]: key of an n-gram -> end positions (ascending) of occurrences that have a next token. */
  private readonly maps: Map<string, number[]>[];

  constructor(readonly opts: NgramOptions) {
    if (!Number.isInteger(opts.minN) || !Number.isInteger(opts.maxN) || opts.minN < 1 || opts.maxN < opts.minN) {
      throw new RangeError(`ngram: need integers 1 <= minN <= maxN, got minN ${opts.minN}, maxN ${opts.maxN}`);
    }
    if (!Number.isInteger(opts.maxBranches) || opts.maxBranches < 1) throw new RangeError(`ngram: maxBranches must be a positive integer, got ${opts.maxBranches}`);
    this.maps = Array.from({ length: opts.maxN - opts.minN + 1 }, () => new Map<string, number[]>());
  }

  append(token: number): void {
    this.tokens.push(token);
    const j = this.tokens.length - 1; // the n-grams ending at j - 1 now have a continuation
    for (let n = this.opts.minN; n <= this.opts.maxN && j - n >= 0; n++) {
      const key = this.tokens.slice(j - n, j).join(',');
      const map = this.maps[n - this.opts.minN];
      const list = map.get(key);
      if (list) list.push(j - 1);
      else map.set(key, [j - 1]);
    }
  }

  /** Continuations of the longest suffix of `tail` (n = maxN..minN) seen before with a next token. */
  lookup(tail: readonly number[]): NgramMatch {
    for (let n = Math.min(this.opts.maxN, tail.length); n >= this.opts.minN; n--) {
      const ends = this.maps[n - this.opts.minN].get(tail.slice(tail.length - n).join(','));
      if (ends && ends.length > 0) return { n, ...this.rankContinuations(ends) };
    }
    return NO_MATCH;
  }

  private rankContinuations(ends: readonly number[]): Omit<NgramMatch, 'n'> {
    const stats = new Map<number, { count: number; latest: number }>();
    const first = Math.max(0, ends.length - SCAN_LIMIT);
    for (let i = ends.length - 1; i >= first; i--) {
      const next = this.tokens[ends[i] + 1];
      const s = stats.get(next);
      if (s) s.count++;
      else stats.set(next, { count: 1, latest: ends[i] });
    }
    const frequent = this.opts.rank === 'frequent';
    const ranked = [...stats].sort(([, a], [, b]) => (frequent ? b.count - a.count : 0) || b.latest - a.latest).slice(0, this.opts.maxBranches);
    return { tokens: ranked.map(([t]) => t), counts: ranked.map(([, s]) => s.count), scanned: ends.length - first };
  }
}

/** One request's n-gram state: proposals for rows up to depth maxTokens. */
export class NgramState implements LookupState {
  readonly proposerId = 'ngram';
  private readonly index: NgramIndex;
  private readonly maxTokens: number;

  constructor(opts: NgramOptions & { readonly maxTokens: number }, prompt: Int32Array) {
    if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1) throw new RangeError(`ngram: maxTokens must be a positive integer, got ${opts.maxTokens}`);
    this.index = new NgramIndex(opts);
    this.maxTokens = opts.maxTokens;
    for (const t of prompt) this.index.append(t);
  }

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    return rows.map((row) => {
      const { tail, depth } = contextTail(this.index.tokens, tree, row, this.index.opts.maxN);
      if (depth >= this.maxTokens) return NO_PROPOSAL;
      const m = this.index.lookup(tail);
      return { kind: 'ranked', tokens: m.tokens, probs: m.counts.map((c) => c / m.scanned) };
    });
  }

  reset(): void {}

  observe(outcome: StepOutcome): void {
    for (const t of outcome.emitted) this.index.append(t);
  }

  matchLength(): number {
    return this.index.lookup(this.index.tokens.slice(-this.index.opts.maxN)).n;
  }

  limits(ctx: GrowContext): GrowContext {
    return { ...ctx, maxDepth: Math.min(ctx.maxDepth, this.maxTokens) };
  }
}
