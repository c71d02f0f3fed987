/**
 * Retrieval speculation (LLMA, Yang et al. 2023, arXiv 2304.04487; NEST,
 * Li et al. 2024, arXiv 2405.19325): copies spans from text that is not the
 * request's own history: a corpus indexed once per run (a suffix tree over
 * its documents) and the reference documents given with the request (a
 * suffix tree of its own). Each tree row's context (history + path) is
 * matched in both; the deepest suffix (<= maxDepth tokens) that occurred
 * with a continuation proposes its continuations (on a tie the two trees'
 * counts are added), ranked by count, with estimated probability count(w t)
 * / count of w's continuations. Trees are capped as SuffixDecoding's:
 * floor(maxSpecFactor * root match length) nodes, path probability >=
 * minTokenProb; the default policy grows them best-first by probability.
 */
import type { GrowContext, RowProposal } from '../tree/policy.js';
import type { TreeShape } from '../core/tree-shape.js';
import type { LookupState } from './lookup.js';
import { SuffixTrie } from './suffix-tree.js';
import { checkSpecLimits, deepestMatch, deepestProposal, specLimits, TrieRows, type SpecLimits } from './trie-match.js';
import type { References, StepOutcome } from './types.js';

export interface RetrievalOptions extends SpecLimits {
  /** Longest suffix matched (depth of the suffix trees), tokens. */
  readonly maxDepth: number;
}

/** The corpus of a run: one suffix tree over its documents (token ids), built once. */
export class RetrievalIndex {
  readonly trie: SuffixTrie;

  constructor(opts: RetrievalOptions, documents: readonly Int32Array[]) {
    checkSpecLimits('retrieval', opts);
    this.trie = new SuffixTrie(opts.maxDepth);
    for (const d of documents) this.trie.addSequence(d, 1);
  }
}

export class RetrievalState implements LookupState {
  readonly proposerId = 'retrieval';
  /** The corpus tree, then the request's reference tree. */
  private readonly tries: readonly SuffixTrie[];
  private readonly rows: TrieRows;
  /** Match states of the history so far, one per tree. */
  private root: readonly number[];

  constructor(
    private readonly opts: RetrievalOptions,
    index: RetrievalIndex,
    prompt: Int32Array,
    references: References,
  ) {
    const refs = new SuffixTrie(opts.maxDepth);
    for (const r of references) refs.addSequence(r, 1);
    this.tries = [index.trie, refs];
    this.rows = new TrieRows(this.tries);
    this.root = this.tries.map(() => 0);
    for (const t of prompt) this.append(t);
  }

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    return rows.map((row) =>
      deepestProposal(
        this.tries,
        this.rows.at(tree, row, () => this.root),
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
    return deepestMatch(this.tries, this.root);
  }

  limits(ctx: GrowContext): GrowContext {
    return specLimits(ctx, this.opts, this.matchLength());
  }

  private append(t: number): void {
    this.root = this.tries.map((trie, i) => trie.advance(this.root[i], t));
  }
}
