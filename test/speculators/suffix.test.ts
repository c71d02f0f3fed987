import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { SuffixCache, SuffixState, type SuffixOptions } from '../../src/speculators/suffix.js';
import { DraftTreeBuilder } from '../../src/tree/builder.js';
import { DynamicPolicy } from '../../src/tree/dynamic.js';
import { GREEDY } from '../../src/sampling/params.js';
import { outcome } from '../support/outcomes.js';
import { pairs } from '../support/sources.js';

const OPTS: SuffixOptions = { maxDepth: 4, maxSpecFactor: 2, minTokenProb: 0.1, maxCachedRequests: 1 };
const CTX = { sampling: GREEDY, rng: createRng(0), maxNodes: 64, maxDepth: 50 };

function state(prompt: number[], opts: SuffixOptions = OPTS, cache = new SuffixCache(opts)): SuffixState {
  return new SuffixState(opts, cache, Int32Array.from(prompt));
}

async function rootProposal(s: SuffixState) {
  s.reset();
  return (await s.propose(new DraftTreeBuilder(['x']).shape(), [0]))[0];
}

describe('suffix speculator: matching and scores', () => {
  it('the longest suffix with a continuation decides: "... 2 3 1 2" -> "3 1 2" was followed by 4', async () => {
    const s = state([1, 2, 3, 1, 2, 4, 1, 2, 3, 1, 2]);
    expect(await rootProposal(s)).to.deep.equal({ kind: 'ranked', tokens: [4], probs: [1] });
    expect(s.matchLength()).to.equal(3);
  });

  it('scores are count / continuations: "1 2" was followed by 3 once and 4 once (the final "1 2" has no next token)', async () => {
    const s = state([1, 2, 3, 1, 2, 4, 1, 2], { ...OPTS, maxDepth: 3 });
    expect(await rootProposal(s)).to.deep.equal({ kind: 'ranked', tokens: [3, 4], probs: [0.5, 0.5] });
    expect(s.matchLength()).to.equal(2);
  });

  it('rows are matched with their path: after 4, "1 2 4" was followed by 1; after 3, "1 2 3" by 1', async () => {
    const s = state([1, 2, 3, 1, 2, 4, 1, 2, 3, 1, 2]);
    const b = new DraftTreeBuilder(['x']);
    b.draw(0, 4, 0, null);
    b.draw(0, 3, 0, null);
    s.reset();
    const [, after4, after3] = await s.propose(b.shape(), [0, 1, 2]);
    expect(after4).to.deep.equal({ kind: 'ranked', tokens: [1], probs: [1] });
    expect(after3).to.deep.equal({ kind: 'ranked', tokens: [1], probs: [1] });
  });

  it('caps the tree at floor(maxSpecFactor * matchLength) nodes and sets the probability floor', () => {
    const s = state([1, 2, 3, 1, 2, 4, 1, 2, 3, 1, 2]);
    expect(s.limits(CTX)).to.include({ maxNodes: 6, minProb: 0.1 });
    expect(state([9]).limits(CTX).maxNodes).to.equal(0);
  });

  it('its default growth is greedy by path probability under the cap', async () => {
    // "1 2" -> 3 (1/2), 4 (1/2); after "1 2 3": "2 3" -> 1 ... a chain of certain continuations below 3
    const s = state([1, 2, 3, 1, 2, 4, 1, 2], { ...OPTS, maxDepth: 3, maxSpecFactor: 2 });
    const tree = await new DynamicPolicy({ depth: 24, topK: 8, beam: 0, minProb: 0, search: 'level' }).grow(s, s.limits(CTX));
    // cap 4 nodes: 3 (.5), 4 (.5), then 3 -> 1 (.5: "2 3" -> 1), 4 -> 1 (.5: "2 4" -> 1)
    expect(pairs(tree)).to.deep.equal([
      [3, -1],
      [4, -1],
      [1, 0],
      [1, 1],
    ]);
  });

  it('learns emitted tokens', async () => {
    const s = state([5, 6, 7]);
    expect(s.matchLength()).to.equal(0);
    s.observe(outcome([5, 6]));
    expect(await rootProposal(s)).to.deep.equal({ kind: 'ranked', tokens: [7], probs: [1] });
    expect(s.matchLength()).to.equal(2);
  });
});

describe('suffix speculator: the global tree over earlier outputs', () => {
  it('a finished request output is matched by the next request; a deeper global match wins', async () => {
    const cache = new SuffixCache(OPTS);
    const a = state([7, 7], OPTS, cache);
    a.observe(outcome([1, 2, 3, 5]));
    a.end();
    expect(cache.cachedRequests).to.equal(1);
    const b = state([7, 2, 1, 2], OPTS, cache); // locally "2" -> 1 (depth 1); globally "1 2" -> 3 (depth 2)
    expect(await rootProposal(b)).to.deep.equal({ kind: 'ranked', tokens: [3], probs: [1] });
    expect(b.matchLength()).to.equal(2);
  });

  it('equally deep matches add their counts', async () => {
    const cache = new SuffixCache(OPTS);
    const a = state([9], OPTS, cache);
    a.observe(outcome([1, 2, 3]));
    a.end();
    const b = state([1, 2, 4, 1, 2], OPTS, cache); // local "1 2" -> 4, global "1 2" -> 3
    expect(await rootProposal(b)).to.deep.equal({ kind: 'ranked', tokens: [3, 4], probs: [0.5, 0.5] });
  });

  it('keeps only maxCachedRequests outputs, evicting the oldest', async () => {
    const cache = new SuffixCache(OPTS);
    const a = state([9], OPTS, cache);
    a.observe(outcome([1, 2, 3, 5]));
    a.end();
    const c = state([9], OPTS, cache);
    c.observe(outcome([8, 8]));
    c.end();
    expect(cache.cachedRequests).to.equal(1);
    const b = state([7, 1, 2], OPTS, cache);
    expect(await rootProposal(b)).to.deep.equal({ kind: 'ranked', tokens: [], probs: [] }); // "1 2" is gone with the evicted output
    expect(b.matchLength()).to.equal(0);
  });

  it('a session opened before the global tree changed sees the change', async () => {
    const cache = new SuffixCache(OPTS);
    const b = state([7, 1, 2], OPTS, cache);
    expect(await rootProposal(b)).to.deep.equal({ kind: 'ranked', tokens: [], probs: [] });
    const a = state([9], OPTS, cache);
    a.observe(outcome([1, 2, 3]));
    a.end();
    expect(await rootProposal(b)).to.deep.equal({ kind: 'ranked', tokens: [3], probs: [1] });
  });
});
