/**
 * Matching a draft tree's rows in several suffix tries at once
 * (SuffixDecoding's request and global trees, retrieval's corpus and
 * reference trees), and the proposals and limits both speculators share.
 */
import type { GrowContext, RowProposal } from '../tree/policy.js';
import type { TreeShape } from '../core/tree-shape.js';
import { NO_PROPOSAL } from './lookup.js';
import type { SuffixTrie } from './suffix-tree.js';

/** Per-row match states, one per trie (in the tries' order); each row's from its parent's by one advance per trie. */
export class TrieRows {
  private rows: (readonly number[])[] = [];

  constructor(private readonly tries: readonly SuffixTrie[]) {}

  /** A new tree starts. */
  reset(): void {
    this.rows = [];
  }

  /** Match states of `row` of `tree` (row 0 = the root, whose states `root` gives). */
  at(tree: TreeShape, row: number, root: () => readonly number[]): readonly number[] {
    if (this.rows.length === 0) this.rows.push(root());
    for (let r = this.rows.length; r <= row; r++) {
      const parent = this.rows[tree.parents[r - 1] + 1];
      const t = tree.tokens[r - 1];
      this.rows.push(this.tries.map((trie, i) => trie.advance(parent[i], t)));
    }
    return this.rows[row];
  }
}

/** Nodes (one per trie) of the deepest suffix of each match state that has a continuation, and their depths in tokens. */
function continuationsOf(tries: readonly SuffixTrie[], states: readonly number[]): { nodes: number[]; depths: number[] } {
  const nodes = tries.map((t, i) => t.continuation(states[i]));
  return { nodes, depths: nodes.map((v, i) => tries[i].depth(v)) };
}

/** Tokens of the deepest suffix, over all tries, that occurred with a continuation (0 = none). */
export function deepestMatch(tries: readonly SuffixTrie[], states: readonly number[]): number {
  return Math.max(0, ...continuationsOf(tries, states).depths);
}

/**
 * The continuations of the deepest match (the counts of tries matching at
 * that depth added), ranked by count then token id, each with estimated
 * probability count / (sum of those tries' continuation counts).
 */
export function deepestProposal(tries: readonly SuffixTrie[], states: readonly number[]): RowProposal {
  const { nodes, depths } = continuationsOf(tries, states);
  const best = Math.max(0, ...depths);
  if (best === 0) return NO_PROPOSAL;
  const counts = new Map<number, number>();
  let total = 0;
  tries.forEach((trie, i) => {
    if (depths[i] !== best) return;
    const c = trie.continuations(nodes[i]);
    c.tokens.forEach((t, j) => counts.set(t, (counts.get(t) ?? 0) + c.counts[j]));
    total += c.total;
  });
  const ranked = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0]);
  return { kind: 'ranked', tokens: ranked.map((e) => e[0]), probs: ranked.map((e) => e[1] / total) };
}

/** Tree caps of the suffix-trie speculators: at most maxSpecFactor nodes per token of the root's match; a path probability floor. */
export interface SpecLimits {
  readonly maxSpecFactor: number;
  readonly minTokenProb: number;
}

/** Throws a RangeError naming `kind` when a limit is out of range. */
export function checkSpecLimits(kind: string, opts: SpecLimits): void {
  if (!(opts.maxSpecFactor >= 0)) throw new RangeError(`${kind}: maxSpecFactor must be >= 0, got ${opts.maxSpecFactor}`);
  if (!(opts.minTokenProb >= 0 && opts.minTokenProb <= 1)) throw new RangeError(`${kind}: minTokenProb must be in [0, 1], got ${opts.minTokenProb}`);
}

/** `ctx` narrowed: floor(maxSpecFactor * matchLength) nodes at most, path probability >= minTokenProb. */
export function specLimits(ctx: GrowContext, opts: SpecLimits, matchLength: number): GrowContext {
  const cap = Math.floor(opts.maxSpecFactor * matchLength + 1e-9);
  return { ...ctx, maxNodes: Math.min(ctx.maxNodes, cap), minProb: Math.max(ctx.minProb ?? 0, opts.minTokenProb) };
}
