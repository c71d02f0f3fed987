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
import type { TreeShape } from '../core/tree-shape.js';
import type { LookupState } from './lookup.js';
import { SuffixTrie } from './suffix-tree.js';
import { checkSpecLimits, deepestMatch, deepestProposal, specLimits, TrieRows } from './trie-match.js';
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
    checkSpecLimits('suffix', opts);
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

export class SuffixState implements LookupState {
  readonly proposerId = 'suffix';
  private readonly local: SuffixTrie;
  /** The request tree, then the global tree. */
  private readonly tries: readonly SuffixTrie[];
  private readonly rows: TrieRows;
  private readonly history: number[] = [];
  private cursor = 0; // node of the history's longest suffix in the request tree
  private globalState = 0;
  private globalVersion = -1;
  private readonly promptLength: number;

  constructor(
    private readonly opts: SuffixOptions,
    private readonly cache: SuffixCache,
    prompt: Int32Array,
  ) {
    this.local = new SuffixTrie(opts.maxDepth);
    this.tries = [this.local, cache.trie];
    this.rows = new TrieRows(this.tries);
    this.promptLength = prompt.length;
    for (const t of prompt) this.append(t);
  }

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    return rows.map((row) =>
      deepestProposal(
        this.tries,
        this.rows.at(tree, row, () => this.rootMatch()),
      ),
    );
  }

  reset(): void {
    this.rows.reset();
  }

  observe(outcome: StepOutcome): void {
    for (const t of outcome.emitted) this.append(t);
  }

  matchLength(): number {
    return deepestMatch(this.tries, this.rootMatch());
  }

  limits(ctx: GrowContext): GrowContext {
    return specLimits(ctx, this.opts, this.matchLength());
  }

  end(): void {
    this.cache.add(Int32Array.from(this.history.slice(this.promptLength)));
  }

  private append(t: number): void {
    this.history.push(t);
    this.cursor = this.local.extend(this.cursor, t, 1);
    if (this.globalVersion === this.cache.trie.version) this.globalState = this.cache.trie.advance(this.globalState, t);
  }

  /** Row 0's match states (request tree, global tree); the global one is recomputed when the global tree changed. */
  private rootMatch(): readonly number[] {
    const g = this.cache.trie;
    if (this.globalVersion !== g.version) {
      this.globalState = g.match(this.history);
      this.globalVersion = g.version;
    }
    return [this.cursor, this.globalState];
  }
}
