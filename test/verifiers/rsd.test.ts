/**
 * RSD (recursive speculative decoding) in the fast tier: hand-computed
 * recursive rejection on a 3-token vocabulary with scripted uniforms (each
 * row one branch of the algorithm), Gumbel-top-k against the exact
 * without-replacement law, the tree policies' draws under rsd, and the
 * config-time exactness check.
 */
import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { checkRunSpec, type RunSpec } from '../../src/harness/components.js';
import { speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { DraftTreeBuilder, mergeTrees } from '../../src/tree/builder.js';
import type { DistinctDraws, DraftTree } from '../../src/tree/draft-tree.js';
import { gumbelTopK } from '../../src/tree/distinct.js';
import { createPolicy, policyConfig, type PolicyConfig } from '../../src/tree/policies.js';
import type { CandidateSource } from '../../src/tree/policy.js';
import { createVerifier, type VerifierKind } from '../../src/verifiers/index.js';
import { treeTraits } from '../../src/verifiers/traits.js';
import { GREEDY, type SamplingParams } from '../../src/sampling/params.js';
import { chiSquareTest, describeChi, tally } from '../support/stats.js';
import { f32, handTree, probRows } from './hand.js';
import { scriptedRng } from './scripted-rng.js';

const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
const P = [0.4, 0.25, 0.35]; // P_llm at the root
const C = [0.1, 0.1, 0.8]; // after the first node
const D = [0.6, 0.2, 0.2]; // after the second node
const Q = f32(0.3, 0.5, 0.2); // P_ssm at the root
const rsd = createVerifier('rsd');

/** `tree` with without-replacement records: [row, tokens in draw order, q]. */
function withRecords(tree: DraftTree, records: readonly (readonly [number, number[], Float32Array])[]): DraftTree {
  const distinct: DistinctDraws[][] = tree.draws.map(() => []);
  for (const [row, tokens, q] of records) distinct[row].push({ proposer: 0, q, tokens });
  return { ...tree, distinct };
}

function verify(tree: DraftTree, uniforms: number[]): { path: number[]; next: number; kind: string; used: number } {
  const rng = scriptedRng(uniforms);
  const r = rsd.verify(tree, probRows(P, C, D), T1, rng);
  return { path: Array.from(r.path), next: r.next, kind: r.nextKind, used: rng.used };
}

describe('rsd verifier: recursive rejection by hand (|V| = 3, two children drawn without replacement)', () => {
  // root -> node 0 (token 1), node 1 (token 0); drawn in that order from Q.
  const both = withRecords(
    handTree(
      [
        [1, -1],
        [0, -1],
      ],
      [
        { child: 0, q: Q },
        { child: 1, q: Q },
      ],
    ),
    [[0, [1, 0], Q]],
  );
  // Test 1: p(1) / q(1) = 0.25 / 0.5 = 0.5. On rejection p := norm(max(0, P - Q)) = (0.4, 0, 0.6) and
  // q := Q without token 1, renormalized = (0.6, 0, 0.4). Test 2: p(0) / q(0) = 0.4 / 0.6 = 2/3
  // (0.4 / 0.3 > 1 without the renormalization). Both rejected: p := norm(max(0, p - q)) = (0, 0, 1).
  const table: [string, DraftTree, number[], { path: number[]; next: number; kind: string; used: number }][] = [
    ['accepts the first draw (r = 0.499 < 1/2); bonus from its row', both, [0.499, 0.95], { path: [0], next: 2, kind: 'bonus', used: 2 }],
    ['rejects the first (r = 0.501), accepts the second against renormalized q (0.666 < 2/3)', both, [0.501, 0.666, 0.7], { path: [1], next: 1, kind: 'bonus', used: 3 }],
    ['rejects both (0.667 >= 2/3): emits from the final residual (0, 0, 1)', both, [0.501, 0.667, 0.3], { path: [], next: 2, kind: 'recovered', used: 3 }],
    [
      'accepts a recorded draw that has no node: emits it and stops',
      withRecords(handTree([[1, -1]], [{ child: 0, q: Q }]), [[0, [1, 0], Q]]),
      [0.501, 0.5],
      { path: [], next: 0, kind: 'recovered', used: 2 },
    ],
  ];
  for (const [name, tree, uniforms, expected] of table) it(name, () => expect(verify(tree, uniforms)).to.deep.equal(expected));

  // Point mass on token 2 first: p(2) = 0.35. Rejected: p := (0.4, 0.25, 0) / 0.65; then token 1 against Q: 0.3846 / 0.5 = 0.769.
  const mixed = withRecords(
    handTree(
      [
        [2, -1],
        [1, -1],
      ],
      [
        { child: 0, q: null },
        { child: 1, q: Q },
      ],
    ),
    [[0, [1], Q]],
  );
  it('tests point masses before the record: rejects token 2 (0.36 >= 0.35), accepts token 1 (0.76 < 0.769)', () => {
    expect(verify(mixed, [0.36, 0.76, 0.1])).to.deep.equal({ path: [1], next: 0, kind: 'bonus', used: 3 });
  });
  it('rejects both: the residual max(0, p - Q) leaves token 0 only', () => {
    expect(verify(mixed, [0.36, 0.77, 0.99])).to.deep.equal({ path: [], next: 0, kind: 'recovered', used: 3 });
  });

  it('refuses siblings sampled with replacement (a q without a record), and records of repeated tokens', () => {
    const iid = handTree(
      [
        [1, -1],
        [0, -1],
      ],
      [
        { child: 0, q: Q },
        { child: 1, q: Q },
      ],
    );
    expect(() => verify(iid, [0.5])).to.throw(RangeError, /sampled with replacement/);
    expect(() => verify(withRecords(iid, [[0, [1, 1, 0], Q]]), [0.5])).to.throw(RangeError, /must be distinct/);
  });
});

describe('gumbelTopK: draws without replacement', () => {
  const q = [0.5, 0.3, 0.15, 0.05, 0];
  const N = 20000;

  it(`draws distinct tokens with the without-replacement law (ordered pairs chi-square, inclusion, ${N} draws of 2)`, () => {
    const rng = createRng(11);
    const pairs = new Map<number, number>();
    const included = [0, 0, 0, 0, 0];
    for (let n = 0; n < N; n++) {
      const [a, b] = gumbelTopK(q, 2, rng);
      expect(a).to.not.equal(b);
      tally(pairs, a * 5 + b);
      included[a]++;
      included[b]++;
    }
    const exact = new Map<number, number>();
    q.forEach((qa, a) => q.forEach((qb, b) => a !== b && exact.set(a * 5 + b, (qa * qb) / (1 - qa))));
    const chi = chiSquareTest(pairs, exact);
    expect(chi.pValue, describeChi(chi)).to.be.above(0.001);
    q.forEach((_, x) => {
      const pi = [...exact].filter(([k]) => Math.floor(k / 5) === x || k % 5 === x).reduce((s, [, v]) => s + v, 0);
      expect(included[x] / N, `inclusion of ${x}`).to.be.closeTo(pi, 4.5 * Math.sqrt((pi * (1 - pi)) / N) + 1e-12);
    });
  });

  it('gives at most the support of q, one uniform per token with q > 0', () => {
    const rng = scriptedRng([0.1, 0.9, 0.5, 0.2]);
    expect(new Set(gumbelTopK(q, 10, rng)).size).to.equal(4);
    expect(rng.used).to.equal(4);
    expect(gumbelTopK(q, 0, createRng(1))).to.deep.equal([]);
  });
});

/** A draft whose logits are the same after every row. */
const source: CandidateSource = {
  proposerId: 'd',
  propose: async (_tree, rows) => rows.map(() => ({ kind: 'logits', logits: Float32Array.from([0.4, 0.3, 0.2, 0.06, 0.04], Math.log) })),
};
const POLICIES: readonly PolicyConfig[] = [
  policyConfig('static', { expansion: [3, 2, 1] }),
  policyConfig('dynamic', { depth: 3, topK: 3, beam: 2 }),
  policyConfig('p-split', { depth: 3, pSplit: 0.1, maxBranches: 3 }),
  policyConfig('sequoia', { depth: 3 }),
];

describe('tree policies under rsd: children drawn without replacement, recorded', () => {
  for (const cfg of POLICIES) {
    it(`${cfg.kind}: distinct children with records at T=1 (verifiable by rsd); unchanged at T=0 and for other verifiers`, async () => {
      const grow = (withoutReplacement: boolean, sampling: SamplingParams, seed = 3) =>
        createPolicy(cfg, { withoutReplacement }).grow(source, { sampling, rng: createRng(seed), maxNodes: 12, maxDepth: 8 });
      const tree = await grow(true, T1);
      expect(createPolicy(cfg, { withoutReplacement: true }).childMode(T1)).to.equal('distinct');
      expect(treeTraits(tree).children).to.equal('distinct');
      expect(tree.tokens.length).to.be.within(1, 12);
      const target = { rows: tree.tokens.length + 1, vocabSize: 5, row: () => f32(0, 0, 0, 0, 0) };
      expect(() => rsd.verify(tree, target, T1, createRng(4))).to.not.throw();
      expect(await grow(true, GREEDY)).to.deep.equal(await grow(false, GREEDY));
      expect(treeTraits(await grow(false, T1)).children).to.equal(cfg.kind === 'static' ? 'sampled' : 'deterministic');
    });
  }
});

describe('without-replacement records through the tree builder', () => {
  it("mergeTrees keeps each tree's records, on the merged rows and proposers", () => {
    const a = new DraftTreeBuilder(['a']);
    a.draw(0, 1, 0, Q);
    a.recordDistinct(0, 0, Q, [1, 2]);
    const b = new DraftTreeBuilder(['b']);
    const node = b.draw(0, 0, 0, Q);
    b.draw(node + 1, 2, 0, Q);
    b.recordDistinct(0, 0, Q, [0]);
    b.recordDistinct(node + 1, 0, Q, [2, 1]);
    const merged = mergeTrees([a.finish(), b.finish()]);
    const rows = merged.distinct?.map((recs) => recs.map((r) => [merged.proposerIds[r.proposer], ...r.tokens]));
    expect(rows).to.deep.equal([
      [
        ['a', 1, 2],
        ['b', 0],
      ],
      [],
      [['b', 2, 1]],
      [],
    ]);
    expect(new DraftTreeBuilder(['c']).finish().distinct).to.equal(undefined);
  });
});

function spec(speculator: SpeculatorConfig, verifier: VerifierKind, policy?: PolicyConfig): RunSpec {
  return { target: 'stories260K', speculator, policy, verifier: { kind: verifier }, sampling: T1, maxNodes: 64, allowLossy: false, engine: {} };
}

describe('config-time check for rsd (no model loaded)', () => {
  const ssm = speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] });
  const ngram = speculatorConfig('ngram');
  for (const kind of ['static', 'dynamic', 'p-split', 'sequoia'] as const) {
    it(`rsd + draft model + ${kind} at T=1: exact, children drawn without replacement`, () => {
      const c = checkRunSpec(spec(ssm, 'rsd', policyConfig(kind)));
      expect([c.exact, c.traits.children]).to.deep.equal([true, 'distinct']);
    });
  }
  it('rsd + a model-free speculator (deterministic children, point masses): exact', () => {
    expect(checkRunSpec(spec(ngram, 'rsd')).exact).to.equal(true);
  });
  it('rsd + a hybrid of a model-free part and a draft model: refused (mixed children)', () => {
    const hybrid = speculatorConfig('hybrid', { mode: 'merge', parts: [ngram, ssm] });
    expect(() => checkRunSpec(spec(hybrid, 'rsd', policyConfig('dynamic')))).to.throw(ConfigError, /rsd needs children all drawn without replacement/);
  });
  it('mss keeps i.i.d. draws (static) and top-k point masses (dynamic)', () => {
    expect(checkRunSpec(spec(ssm, 'mss', policyConfig('static'))).traits.children).to.equal('sampled');
    expect(checkRunSpec(spec(ssm, 'mss', policyConfig('dynamic'))).traits.children).to.equal('deterministic');
  });
});
