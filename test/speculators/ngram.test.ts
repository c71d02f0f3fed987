import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { NgramIndex, NgramState } from '../../src/speculators/ngram.js';
import { DraftTreeBuilder } from '../../src/tree/builder.js';
import { StaticExpansionPolicy } from '../../src/tree/static-expansion.js';
import { GREEDY } from '../../src/sampling/params.js';
import { outcome } from '../support/outcomes.js';
import { pairs } from '../support/sources.js';

// positions:     0  1  2  3  4  5  6  7  8  9 10 11
const HISTORY = [1, 5, 6, 7, 5, 6, 7, 5, 6, 8, 5, 6];

function index(minN: number, maxN: number, rank: 'recent' | 'frequent' = 'recent', maxBranches = 4): NgramIndex {
  const ix = new NgramIndex({ minN, maxN, maxBranches, rank });
  for (const t of HISTORY) ix.append(t);
  return ix;
}

describe('n-gram matching (prompt lookup)', () => {
  /**
   * The history ends with "8 5 6". "8 5 6" occurred only at the very end (no next token yet),
   * so n = 3 has no match; "5 6" ended at 2, 5 and 8, followed by 7, 7 and 8.
   */
  const cases: { name: string; ix: () => NgramIndex; tail: number[]; n: number; tokens: number[]; counts: number[]; scanned: number }[] = [
    { name: 'n = 3 has no earlier occurrence, n = 2 does: most recent first', ix: () => index(1, 3), tail: [8, 5, 6], n: 2, tokens: [8, 7], counts: [1, 2], scanned: 3 },
    { name: "rank 'frequent': 7 (twice) before 8", ix: () => index(1, 3, 'frequent'), tail: [8, 5, 6], n: 2, tokens: [7, 8], counts: [2, 1], scanned: 3 },
    { name: 'maxBranches 1 keeps the best only', ix: () => index(1, 3, 'recent', 1), tail: [8, 5, 6], n: 2, tokens: [8], counts: [1], scanned: 3 },
    { name: 'minN 3: nothing', ix: () => index(3, 3), tail: [8, 5, 6], n: 0, tokens: [], counts: [], scanned: 0 },
    { name: 'a longer match wins: "5 6 7" -> 5 (twice)', ix: () => index(1, 3), tail: [5, 6, 7], n: 3, tokens: [5], counts: [2], scanned: 2 },
    { name: 'unigram fallback: "8" -> 5', ix: () => index(1, 3), tail: [2, 8], n: 1, tokens: [5], counts: [1], scanned: 1 },
    { name: 'unknown token: no match', ix: () => index(1, 3), tail: [9], n: 0, tokens: [], counts: [], scanned: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(c.ix().lookup(c.tail)).to.deep.equal({ n: c.n, tokens: c.tokens, counts: c.counts, scanned: c.scanned });
    });
  }

  it('rejects minN > maxN', () => {
    expect(() => new NgramIndex({ minN: 3, maxN: 2, maxBranches: 1, rank: 'recent' })).to.throw(RangeError, /minN/);
  });
});

describe('n-gram speculator state', () => {
  const opts = { minN: 1, maxN: 3, maxBranches: 4, rank: 'recent' as const, maxTokens: 4 };

  it('proposes per row from history + the row path, with count / scanned probabilities', async () => {
    const s = new NgramState(opts, Int32Array.from(HISTORY));
    const b = new DraftTreeBuilder(['x']);
    b.draw(0, 7, 0, null); // node 0: "... 5 6" + 7
    const [root, row1] = await s.propose(b.shape(), [0, 1]);
    expect(root).to.deep.equal({ kind: 'ranked', tokens: [8, 7], probs: [1 / 3, 2 / 3] });
    expect(row1).to.deep.equal({ kind: 'ranked', tokens: [5], probs: [1] }); // "5 6 7" -> 5
    expect(s.matchLength()).to.equal(2);
  });

  it('nothing at depth >= maxTokens; the grow context depth is capped too', async () => {
    const s = new NgramState({ ...opts, maxTokens: 1 }, Int32Array.from(HISTORY));
    const b = new DraftTreeBuilder(['x']);
    b.draw(0, 7, 0, null);
    const [, row1] = await s.propose(b.shape(), [0, 1]);
    expect(row1).to.deep.equal({ kind: 'ranked', tokens: [], probs: [] });
    expect(s.limits({ sampling: GREEDY, rng: createRng(0), maxNodes: 64, maxDepth: 50 }).maxDepth).to.equal(1);
  });

  it('learns emitted tokens: the history grows', async () => {
    const s = new NgramState(opts, Int32Array.from([1, 5, 6]));
    expect(s.matchLength()).to.equal(0);
    s.observe(outcome([9, 5]));
    // "... 6 9 5": "5" occurred at 1, followed by 6
    expect(s.matchLength()).to.equal(1);
    const [root] = await s.propose(new DraftTreeBuilder(['x']).shape(), [0]);
    expect(root).to.deep.equal({ kind: 'ranked', tokens: [6], probs: [1] });
  });

  it('with its default policy (<maxBranches, 1, 1, ...>): branches of the matches, each continued', async () => {
    const s = new NgramState(opts, Int32Array.from(HISTORY));
    const policy = new StaticExpansionPolicy({ expansion: [4, 1, 1, 1] });
    const tree = await policy.grow(s, s.limits({ sampling: GREEDY, rng: createRng(0), maxNodes: 64, maxDepth: 50 }));
    // root: 8 (latest), 7; after "5 6 8": "6 8" -> 5 (pos 9-10), then "8 5" -> 6, then "5 6" -> 8 (latest)
    // after "5 6 7": 5, then "6 7 5" -> 6, then "7 5 6" -> 8 (latest: 6-8 -> 9 = 8)
    expect(pairs(tree)).to.deep.equal([
      [8, -1],
      [7, -1],
      [5, 0],
      [5, 1],
      [6, 2],
      [6, 3],
      [8, 4],
      [8, 5],
    ]);
  });
});
