import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { treeTraits } from '../../src/verifiers/traits.js';
import { topCandidates, topIndices, topTokens } from '../../src/tree/candidates.js';
import { DynamicPolicy } from '../../src/tree/dynamic.js';
import { PSplitPolicy } from '../../src/tree/p-split.js';
import { createPolicy, POLICY_DEFAULTS, POLICY_KINDS, policyConfig } from '../../src/tree/policies.js';
import type { GrowContext } from '../../src/tree/policy.js';
import { StaticExpansionPolicy } from '../../src/tree/static-expansion.js';
import { GREEDY } from '../../src/sampling/params.js';
import { pairs, scriptedSource, type Script } from '../support/sources.js';

const ctx = (maxNodes = 64, extra: Partial<GrowContext> = {}): GrowContext => ({ sampling: GREEDY, rng: createRng(0), maxNodes, maxDepth: 100, ...extra });

/**
 *        root
 *     1 (.6)    2 (.3)    3 (.1)
 *   4 (.5) 5 (.5)  6 (1)
 *   7 (.9)
 * Path probabilities: 1 .6, 2 .3, 3 .1, 4 .3, 5 .3, 6 .3, 7 .27.
 */
const SCRIPT: Script = {
  '': [
    [1, 0.6],
    [2, 0.3],
    [3, 0.1],
  ],
  '1': [
    [4, 0.5],
    [5, 0.5],
  ],
  '2': [[6, 1]],
  '1,4': [[7, 0.9]],
};

describe('candidates', () => {
  it('topIndices: largest first, first index on ties', () => {
    expect(topIndices([1, 5, 3, 5, 0], 3)).to.deep.equal([1, 3, 2]);
    expect(topIndices([2, 2, 2], 2)).to.deep.equal([0, 1]);
    expect(topIndices([1, 2], 5)).to.deep.equal([1, 0]);
    expect(topIndices([1, 5, 3, 5, 0], 1)).to.deep.equal([1]);
    expect(topIndices([NaN, 1, 2], 1)).to.deep.equal(topIndices([NaN, 1, 2], 2).slice(0, 1));
    expect(topIndices([], 1)).to.deep.equal([]);
  });

  it('topCandidates of logits: ranked by logit, probabilities from the softmax at T=1 when greedy', () => {
    const c = topCandidates({ kind: 'logits', logits: Float32Array.of(0, Math.log(3), Math.log(6)) }, 2, GREEDY);
    expect(c.tokens).to.deep.equal([2, 1]);
    expect(c.probs[0]).to.be.closeTo(0.6, 1e-6);
    expect(c.probs[1]).to.be.closeTo(0.3, 1e-6);
  });

  it('topCandidates drops tokens the sampling transform cuts (top-k 1 at T=1)', () => {
    const c = topCandidates({ kind: 'logits', logits: Float32Array.of(0, 1, 2) }, 3, { temperature: 1, topK: 1, topP: 1 });
    expect(c).to.deep.equal({ tokens: [2], probs: [1] });
  });

  it('topTokens gives the tokens of topCandidates (underflow, -Infinity, truncation alike) and throws where it throws', () => {
    const rng = createRng(11);
    const samplings = [GREEDY, { temperature: 0.5, topK: 0, topP: 1 }, { temperature: 1, topK: 3, topP: 1 }, { temperature: 1, topK: 0, topP: 0.5 }];
    for (let trial = 0; trial < 20; trial++) {
      // Logits spread over 2000 units: low ones underflow to probability 0; some are -Infinity.
      const logits = Float32Array.from({ length: 64 }, () => (rng.uniform() < 0.1 ? -Infinity : 2000 * rng.uniform() - 1000));
      for (const s of samplings) {
        for (const k of [1, 4, 64]) {
          const p = { kind: 'logits' as const, logits };
          expect(topTokens(p, k, s), `trial ${trial} k ${k} T ${s.temperature}`).to.deep.equal(topCandidates(p, k, s).tokens);
        }
      }
    }
    const bad = { kind: 'logits' as const, logits: Float32Array.of(0, NaN, 1) };
    expect(() => topCandidates(bad, 1, GREEDY)).to.throw(RangeError);
    expect(() => topTokens(bad, 1, GREEDY)).to.throw(RangeError, /no finite maximum/);
    expect(topTokens({ kind: 'ranked', tokens: [5, 6, 7], probs: [0.5, 0.3, 0.2] }, 2, GREEDY)).to.deep.equal([5, 6]);
  });
});

describe('static expansion on a ranked source (breadth-first under the budget)', () => {
  const cases: { name: string; expansion: number[]; maxNodes: number; minProb?: number; want: [number, number][] }[] = [
    {
      name: '<2,2,1>',
      expansion: [2, 2, 1],
      maxNodes: 64,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
        [5, 0],
        [6, 1],
        [7, 2],
      ],
    },
    {
      name: '<2,2,1>, budget 4',
      expansion: [2, 2, 1],
      maxNodes: 4,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
        [5, 0],
      ],
    },
    {
      name: '<3,1,1> (fewer candidates than asked)',
      expansion: [3, 1, 1],
      maxNodes: 64,
      want: [
        [1, -1],
        [2, -1],
        [3, -1],
        [4, 0],
        [6, 1],
        [7, 3],
      ],
    },
    {
      name: '<2,2,1>, minProb 0.28 drops 7 (.27)',
      expansion: [2, 2, 1],
      maxNodes: 64,
      minProb: 0.28,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
        [5, 0],
        [6, 1],
      ],
    },
    {
      name: 'chain <1,1,1>',
      expansion: [1, 1, 1],
      maxNodes: 64,
      want: [
        [1, -1],
        [4, 0],
        [7, 1],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const tree = await new StaticExpansionPolicy({ expansion: c.expansion }).grow(scriptedSource(SCRIPT), ctx(c.maxNodes, { minProb: c.minProb }));
      expect(pairs(tree)).to.deep.equal(c.want);
      expect(treeTraits(tree).children).to.equal('deterministic');
    });
  }

  it('ranked children stay deterministic (q = null) even when sampling', async () => {
    const policy = new StaticExpansionPolicy({ expansion: [2, 1] });
    const tree = await policy.grow(scriptedSource(SCRIPT), ctx(64, { sampling: { temperature: 1, topK: 0, topP: 1 } }));
    expect(pairs(tree)).to.deep.equal([
      [1, -1],
      [2, -1],
      [4, 0],
      [6, 1],
    ]);
    expect(tree.draws.flat().every((d) => d.q === null)).to.equal(true);
  });
});

describe('dynamic policy (EAGLE-2 style: expand the best N per level, keep the best M overall)', () => {
  const cases: { name: string; topK: number; beam: number; maxNodes: number; want: [number, number][]; calls: number[][] }[] = [
    // level 1: 1 .6, 2 .3; expand 1 -> 4 .3, 5 .3; then the pool's 3rd best is .3 >= every frontier node: stop.
    {
      name: 'topK 2, beam 1, budget 3',
      topK: 2,
      beam: 1,
      maxNodes: 3,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
      ],
      calls: [[0], [1]],
    },
    // expand 4 (ties: earlier first) -> 7 .27; keep all five.
    {
      name: 'topK 2, beam 1, budget 5',
      topK: 2,
      beam: 1,
      maxNodes: 5,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
        [5, 0],
        [7, 2],
      ],
      calls: [[0], [1], [2]],
    },
    // beam 0 = the budget: exact best-first; 3 (.1) is the worst node, dropped at budget 6.
    {
      name: 'topK 3, beam 0, budget 6',
      topK: 3,
      beam: 0,
      maxNodes: 6,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
        [5, 0],
        [6, 1],
        [7, 2],
      ],
      calls: [[0], [1, 2, 3], [4, 5, 6]],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const src = scriptedSource(SCRIPT);
      const tree = await new DynamicPolicy({ depth: 8, topK: c.topK, beam: c.beam, minProb: 0, search: 'level' }).grow(src, ctx(c.maxNodes));
      expect(pairs(tree)).to.deep.equal(c.want);
      expect(src.calls).to.deep.equal(c.calls);
    });
  }

  it('best-first (SpecExec): one global heap; expands only nodes that can enter the top-M, any level', async () => {
    // budget 4, beam 1: root -> 1 .6, 2 .3, 3 .1; pop 1 -> 4 .3, 5 .3 (floor = 4th best = .3 now);
    // 2, 4, 5 (.3) cannot beat .3: stop. Level search with beam 0 would also expand 2 and 3.
    const src = scriptedSource(SCRIPT);
    const tree = await new DynamicPolicy({ depth: 8, topK: 3, beam: 1, minProb: 0, search: 'best-first' }).grow(src, ctx(4));
    expect(pairs(tree)).to.deep.equal([
      [1, -1],
      [2, -1],
      [4, 0],
      [5, 0],
    ]);
    expect(src.calls).to.deep.equal([[0], [1]]);
  });

  it('best-first keeps the same tree as exact level search (beam 0), with fewer expansions', async () => {
    for (const budget of [1, 3, 5, 6, 7]) {
      const level = scriptedSource(SCRIPT);
      const best = scriptedSource(SCRIPT);
      const a = await new DynamicPolicy({ depth: 8, topK: 3, beam: 0, minProb: 0, search: 'level' }).grow(level, ctx(budget));
      const b = await new DynamicPolicy({ depth: 8, topK: 3, beam: 2, minProb: 0, search: 'best-first' }).grow(best, ctx(budget));
      expect(pairs(b), `budget ${budget}`).to.deep.equal(pairs(a));
      expect(best.calls.flat().length, `budget ${budget}`).to.be.at.most(level.calls.flat().length);
    }
  });

  it('minProb drops nodes below the path probability floor', async () => {
    const tree = await new DynamicPolicy({ depth: 8, topK: 3, beam: 0, minProb: 0.3, search: 'level' }).grow(scriptedSource(SCRIPT), ctx(64));
    expect(pairs(tree)).to.deep.equal([
      [1, -1],
      [2, -1],
      [4, 0],
      [5, 0],
      [6, 1],
    ]);
  });
});

describe('p-split policy (llama.cpp: a chain that branches when the runner-up is likely)', () => {
  /**
   * root: 1 .5, 2 .3, 3 .15 -> 1, and 2 splits (.3 > .2); 3 does not.
   * after 1: 4 .9, 5 .1 -> 4.   after 2: 6 .6, 7 .4 -> 6, and 7 splits (third branch).
   * after 1,4: 8.   after 2,6: nothing (ends).   after 2,7: 9 .5, 10 .5 -> 9; 10 cannot split (3 branches).
   */
  const P: Script = {
    '': [
      [1, 0.5],
      [2, 0.3],
      [3, 0.15],
    ],
    '1': [
      [4, 0.9],
      [5, 0.1],
    ],
    '2': [
      [6, 0.6],
      [7, 0.4],
    ],
    '1,4': [[8, 1]],
    '2,7': [
      [9, 0.5],
      [10, 0.5],
    ],
  };
  const cases: { name: string; pSplit: number; pMin: number; maxBranches: number; want: [number, number][] }[] = [
    {
      name: 'pSplit .2, 3 branches',
      pSplit: 0.2,
      pMin: 0,
      maxBranches: 3,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
        [6, 1],
        [7, 1],
        [8, 2],
        [9, 4],
      ],
    },
    {
      name: 'pSplit .35: no runner-up on the way qualifies, a chain',
      pSplit: 0.35,
      pMin: 0,
      maxBranches: 3,
      want: [
        [1, -1],
        [4, 0],
        [8, 1],
      ],
    },
    {
      name: 'maxBranches 1: a plain chain',
      pSplit: 0.2,
      pMin: 0,
      maxBranches: 1,
      want: [
        [1, -1],
        [4, 0],
        [8, 1],
      ],
    },
    { name: 'pMin .55: the root best (.5) is too unlikely, no tree', pSplit: 0.2, pMin: 0.55, maxBranches: 3, want: [] },
    {
      name: 'pMin .5, pSplit .1, 2 branches: the second branch is 2, nothing else splits',
      pSplit: 0.1,
      pMin: 0.5,
      maxBranches: 2,
      want: [
        [1, -1],
        [2, -1],
        [4, 0],
        [6, 1],
        [8, 2],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const tree = await new PSplitPolicy({ depth: 8, pSplit: c.pSplit, pMin: c.pMin, maxBranches: c.maxBranches }).grow(scriptedSource(P), ctx());
      expect(pairs(tree)).to.deep.equal(c.want);
    });
  }
});

describe('policy registry', () => {
  it('has a factory and complete defaults for every kind', () => {
    for (const kind of POLICY_KINDS) {
      const p = createPolicy(POLICY_DEFAULTS[kind]);
      expect(p.kind, kind).to.equal(kind);
      expect(policyConfig(kind)).to.deep.equal(POLICY_DEFAULTS[kind]);
    }
  });

  it('policyConfig overrides defaults field by field and ignores undefined', () => {
    expect(policyConfig('dynamic', { beam: 0, depth: undefined })).to.deep.equal({ ...POLICY_DEFAULTS.dynamic, beam: 0 });
    expect(policyConfig('chain', { depth: 3 }).depth).to.equal(3);
  });

  it('bad options are ConfigErrors naming the policy and the field', () => {
    expect(() => createPolicy(policyConfig('dynamic', { topK: 0 }))).to.throw(ConfigError, /policy 'dynamic'.*topK/);
    expect(() => createPolicy(policyConfig('p-split', { pSplit: 2 }))).to.throw(ConfigError, /pSplit/);
    expect(() => createPolicy(policyConfig('sequoia', { acceptance: [0.8, 0.5] }))).to.throw(ConfigError, /sum to <= 1/);
    expect(() => createPolicy(policyConfig('chain', { depth: 0 }))).to.throw(ConfigError, /expansion/);
    expect(() => policyConfig('nope' as 'chain')).to.throw(ConfigError, /unknown tree policy 'nope'/);
  });

  it('chain flags: chain and p-split with one branch are chains, the others are not', () => {
    expect(createPolicy(policyConfig('chain')).chain).to.equal(true);
    expect(createPolicy(policyConfig('p-split', { maxBranches: 1 })).chain).to.equal(true);
    expect(createPolicy(policyConfig('static')).chain).to.equal(false);
    expect(createPolicy(policyConfig('dynamic')).chain).to.equal(false);
  });
});
