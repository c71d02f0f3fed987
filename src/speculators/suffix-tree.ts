/**
 * A depth-limited suffix tree (an uncompressed suffix trie) with occurrence
 * counts and suffix links, as SuffixDecoding (arXiv 2411.04975) uses it, in
 * flat typed arrays.
 *
 * Node v stands for a token string w(v) of length depth(v) <= maxDepth that
 * occurs in the inserted sequences; node 0 is the empty string (the root).
 *   count(v) = occurrences of w(v) (number of end positions) in live sequences;
 *   cont(v)  = sum of its children's counts = occurrences followed by a token;
 *   link(v)  = the node of w(v) without its first token (suffix link).
 * Nodes are never freed: removing a sequence only lowers counts, and nodes
 * with count 0 count as absent.
 *
 * Complexity (n = history length, D = maxDepth, independent of n):
 *   extend (append one token to a sequence):  O(D)  -- the D suffixes ending
 *     at the new token, found by walking suffix links from the sequence's
 *     cursor (its longest suffix), each a hash lookup;
 *   advance (match state after one more token): O(1) amortized, O(D) worst
 *     (Aho-Corasick style: follow suffix links until the child exists);
 *   continuation (deepest suffix of a match with a continuation): O(D) worst;
 *   candidates at a node: O(children) <= O(vocabulary), top 16 kept.
 * (Measured by `npm run bench:suffix`: time per append and per lookup stays
 * flat from 1k to 100k tokens of history, bar cache misses once the arrays
 * outgrow the CPU caches, while a rescan of the history grows linearly.)
 * Memory: one node per distinct substring of length <= D, i.e. at most n*D,
 * far fewer on repetitive text; ~24 bytes per node plus the child hash map.
 */
import { PairMap } from './pair-map.js';

/** Ranking of candidates: more frequent first, then the lower token id. */
function before(countA: number, tokenA: number, countB: number, tokenB: number): boolean {
  return countA > countB || (countA === countB && tokenA < tokenB);
}

/** Candidates after a node: tokens by count (then token id), with counts. */
export interface Continuations {
  readonly tokens: number[];
  readonly counts: number[];
  /** Sum of all continuation counts (the denominator of the estimated probabilities). */
  readonly total: number;
}

export class SuffixTrie {
  private count = new Int32Array(1024);
  private cont = new Int32Array(1024);
  private depthOf = new Int32Array(1024);
  private link = new Int32Array(1024);
  private tokenOf = new Int32Array(1024);
  private firstChild = new Int32Array(1024).fill(-1);
  private nextSibling = new Int32Array(1024).fill(-1);
  private readonly children = new PairMap(1024);
  private nodes = 1;
  /** Bumped by every extend(); match states computed under another version may be stale. */
  version = 0;

  constructor(readonly maxDepth: number) {
    if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new RangeError(`suffix tree: maxDepth must be a positive integer, got ${maxDepth}`);
  }

  get size(): number {
    return this.nodes;
  }

  /** Approximate bytes held. */
  get bytes(): number {
    return this.count.byteLength * 7 + this.children.bytes;
  }

  depth(v: number): number {
    return this.depthOf[v];
  }

  countOf(v: number): number {
    return this.count[v];
  }

  /** Child of v by token t with count > 0, or -1. */
  child(v: number, t: number): number {
    const c = this.children.get(v, t);
    return c >= 0 && this.count[c] > 0 ? c : -1;
  }

  /**
   * Appends token t to a sequence whose cursor (node of its longest suffix
   * of length <= maxDepth; 0 for an empty sequence) is `cursor`, adding
   * `delta` (+1 insert, -1 remove a previously inserted occurrence) to the
   * count of every suffix ending at t. Returns the new cursor.
   */
  extend(cursor: number, t: number, delta: 1 | -1): number {
    this.version++;
    let u = this.depthOf[cursor] === this.maxDepth ? this.link[cursor] : cursor;
    const chain: number[] = [];
    for (;;) {
      let c = this.children.get(u, t);
      if (c < 0) {
        if (delta < 0) throw new RangeError(`suffix tree: removing token ${t} below node ${u}, which was never inserted`);
        c = this.newNode(u, t);
      }
      this.count[c] += delta;
      this.cont[u] += delta;
      chain.push(c);
      if (u === 0) break;
      u = this.link[u];
    }
    for (let i = 0; i < chain.length; i++) if (this.link[chain[i]] < 0) this.link[chain[i]] = i + 1 < chain.length ? chain[i + 1] : 0;
    return chain[0];
  }

  /** Inserts (delta 1) or removes (delta -1) a whole sequence. */
  addSequence(tokens: ArrayLike<number>, delta: 1 | -1): void {
    let cursor = 0;
    for (let i = 0; i < tokens.length; i++) cursor = this.extend(cursor, tokens[i], delta);
  }

  /**
   * Match state after one more token: from the node of the longest present
   * suffix of a context, the node of the longest present suffix of context + t.
   */
  advance(state: number, t: number): number {
    for (let u = state; ; u = this.link[u]) {
      if (this.depthOf[u] < this.maxDepth) {
        const c = this.child(u, t);
        if (c >= 0) return c;
      }
      if (u === 0) return 0;
    }
  }

  /** The match state of a whole context (only its last maxDepth tokens matter). */
  match(context: ArrayLike<number>): number {
    let state = 0;
    for (let i = Math.max(0, context.length - this.maxDepth); i < context.length; i++) state = this.advance(state, context[i]);
    return state;
  }

  /** The deepest suffix of match state `state` that has a continuation (0 = none but the root). */
  continuation(state: number): number {
    let u = state;
    while (u !== 0 && (this.cont[u] <= 0 || this.count[u] <= 0)) u = this.link[u];
    return u;
  }

  /**
   * The `limit` most frequent live children of v (then lower token id), by
   * one pass over the children with a small insertion buffer: O(children),
   * children <= vocabulary size.
   */
  continuations(v: number, limit = 16): Continuations {
    const tokens: number[] = [];
    const counts: number[] = [];
    for (let c = this.firstChild[v]; c >= 0; c = this.nextSibling[c]) {
      const n = this.count[c];
      const t = this.tokenOf[c];
      if (n <= 0 || (tokens.length === limit && !before(n, t, counts[limit - 1], tokens[limit - 1]))) continue;
      let j = tokens.length < limit ? tokens.length : limit - 1;
      if (tokens.length < limit) {
        tokens.push(t);
        counts.push(n);
      }
      for (; j > 0 && before(n, t, counts[j - 1], tokens[j - 1]); j--) {
        tokens[j] = tokens[j - 1];
        counts[j] = counts[j - 1];
      }
      tokens[j] = t;
      counts[j] = n;
    }
    return { tokens, counts, total: this.cont[v] };
  }

  private newNode(parent: number, t: number): number {
    if (this.nodes === this.count.length) this.growArrays();
    const v = this.nodes++;
    this.depthOf[v] = this.depthOf[parent] + 1;
    this.tokenOf[v] = t;
    this.link[v] = -1;
    this.nextSibling[v] = this.firstChild[parent];
    this.firstChild[parent] = v;
    this.children.set(parent, t, v);
    return v;
  }

  private growArrays(): void {
    const cap = this.count.length * 2;
    const grown = (a: Int32Array, fill: number) => {
      const b = new Int32Array(cap).fill(fill);
      b.set(a);
      return b;
    };
    this.count = grown(this.count, 0);
    this.cont = grown(this.cont, 0);
    this.depthOf = grown(this.depthOf, 0);
    this.link = grown(this.link, -1);
    this.tokenOf = grown(this.tokenOf, 0);
    this.firstChild = grown(this.firstChild, -1);
    this.nextSibling = grown(this.nextSibling, -1);
  }
}
