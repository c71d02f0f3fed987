import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildRun, freshModels, type RunSpec } from '../../src/harness/components.js';
import { fitExpansion, costCurveTuning, curveBudget, curvePolicy, monotoneCurve } from '../../src/harness/cost-curve.js';
import { findForwardLatency, readForwardLatency } from '../../src/harness/latency.js';
import { loadModelAs } from '../../src/model/models.js';
import { speculatorConfig } from '../../src/speculators/registry.js';
import { createRng } from '../../src/core/rng.js';
import { DynamicPolicy } from '../../src/tree/dynamic.js';
import { policyConfig } from '../../src/tree/policies.js';
import { GREEDY } from '../../src/sampling/params.js';
import { pairs, scriptedSource, type Script } from '../support/sources.js';

/** t(1) = t(2) = 1 ms, then 100 ms from 3 rows on: one node is worth it, a second is not. */
const STEEP = { 1: 1, 2: 1, 3: 100, 64: 100 };

function benchFile(entries: object[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'specinfer-curve-')), 'engine.json');
  writeFileSync(file, JSON.stringify({ results: entries }));
  return file;
}

describe('tree budgets from the cost curve (harness/cost-curve.ts)', () => {
  it('curveBudget: the node count maximizing (1 + G(N, depth)) / t(N + 1), hand-computed for a chain of p = 0.5', () => {
    // G(N) = 0.5 + 0.25 + ... (N terms): 0, .5, .75, .875, .9375; t(rows) = 1, 1.1, 1.2, 2, 4 for rows 1..5.
    // Rates: 1/1, 1.5/1.1 = 1.364, 1.75/1.2 = 1.458, 1.875/2 = .94, 1.9375/4 = .48: N = 2.
    const curve = { 1: 1, 2: 1.1, 3: 1.2, 4: 2, 5: 4 };
    expect(curveBudget(curve, [0.5], 4, 4)).to.deep.equal({ nodes: 2, tokensPerStep: 1.75, forwardMs: 1.2 });
    // A flat curve: every node adds tokens at no cost, so the whole budget.
    expect(curveBudget({ 1: 1 }, [0.5], 4, 4).nodes).to.equal(4);
    // t(rows) = rows: (1 + G(N)) / (N + 1) falls from N = 0 on (1, .75, .58, ...).
    expect(curveBudget({ 1: 1, 64: 64 }, [0.5], 4, 4).nodes).to.equal(0);
  });

  it('monotoneCurve raises a dip to the time of fewer rows; curvePolicy budgets on it', () => {
    expect(monotoneCurve({ 16: 3, 1: 2, 2: 1, 4: 1.5 })).to.deep.equal({ 1: 2, 2: 2, 4: 2, 16: 3 });
    // Measured: 2 rows cheaper than 1 (noise), 3 rows at 100 ms. Raised: t(1) = t(2) = 2, so N = 1 (1.71 / 2) still beats N = 0 (1 / 2).
    expect(curvePolicy(policyConfig('dynamic'), { 1: 2, 2: 1, 3: 100 }, 64)).to.deep.equal({ ...policyConfig('dynamic'), maxNodes: 1 });
    expect(curvePolicy(policyConfig('sequoia'), { 1: 2, 2: 1 }, 64)).to.deep.equal({ ...policyConfig('sequoia'), hardware: { forwardMs: { 1: 2, 2: 2 }, draftMsPerLevel: 0 } });
  });

  it('curvePolicy: sequoia without hardware gets the curve, dynamic without maxNodes the budget (default acceptance), others unchanged', () => {
    // Default acceptance p1 = .71: N = 1 gives 1.71 / t(2) = 1.71 tokens/ms; N = 2 at most (1 + 1.2141) / 100.
    expect(curvePolicy(policyConfig('dynamic'), STEEP, 64)).to.deep.equal({ ...policyConfig('dynamic'), maxNodes: 1 });
    expect(curvePolicy(policyConfig('sequoia'), STEEP, 64)).to.deep.equal({ ...policyConfig('sequoia'), hardware: { forwardMs: STEEP, draftMsPerLevel: 0 } });
    const own = policyConfig('dynamic', { maxNodes: 9 });
    expect(curvePolicy(own, STEEP, 64)).to.equal(own);
    const hw = policyConfig('sequoia', { hardware: { forwardMs: { 1: 2 }, draftMsPerLevel: 0 } });
    expect(curvePolicy(hw, STEEP, 64)).to.equal(hw);
    const fixed = policyConfig('static');
    expect(curvePolicy(fixed, STEEP, 64)).to.equal(fixed);
  });

  it('fitExpansion keeps the leading levels whose nodes fit (1 + 1 + 3 + 3 + ... for <1,1,3,1>)', () => {
    expect(fitExpansion([1, 1, 3, 1], 20)).to.deep.equal([1, 1, 3, 1]);
    expect(fitExpansion([1, 1, 3, 1], 8)).to.deep.equal([1, 1, 3, 1]);
    expect(fitExpansion([1, 1, 3, 1], 7)).to.deep.equal([1, 1, 3]);
    expect(fitExpansion([1, 1, 3, 1], 4)).to.deep.equal([1, 1]);
    expect(fitExpansion([2, 2], 5)).to.deep.equal([2]);
    expect(fitExpansion([4, 2], 2)).to.deep.equal([2]);
    expect(fitExpansion([4, 2], 0)).to.deep.equal([1]);
  });

  it("curvePolicy: a speculator's default static or chain tree is cut to the budget; the same trees given are kept", () => {
    // STEEP with the default acceptance: budget 1 (see above) at any depth.
    expect(curvePolicy(policyConfig('static'), STEEP, 64, true)).to.deep.equal({ ...policyConfig('static'), expansion: [1] });
    expect(curvePolicy(policyConfig('chain', { depth: 4 }), STEEP, 64, true)).to.deep.equal(policyConfig('chain', { depth: 1 }));
    const given = policyConfig('static');
    expect(curvePolicy(given, STEEP, 64, false)).to.equal(given);
    const flat = policyConfig('chain', { depth: 4 });
    expect(curvePolicy(flat, { 1: 1 }, 64, true)).to.equal(flat);
  });

  it('costCurveTuning: a quantized target with a curve for its (model, threads, weights) uses it, and says so once', async () => {
    const q8 = await loadModelAs('random:tiny', 'q8_0');
    const file = benchFile([
      { model: 'random:tiny:0', threads: 1, graph: 'fused', forwardMs: { 1: 1 } },
      { model: 'random:tiny:0', threads: 1, graph: 'fused', weights: 'q8_0', forwardMs: STEEP },
    ]);
    const notes: string[] = [];
    const tune = costCurveTuning({ ref: 'random:tiny', id: q8.id, weights: q8.weights, threads: 1, maxNodes: 64 }, { file, note: (l) => notes.push(l) });
    expect(tune(policyConfig('dynamic'))).to.deep.equal({ ...policyConfig('dynamic'), maxNodes: 1 });
    expect(tune(policyConfig('dynamic'))).to.deep.equal({ ...policyConfig('dynamic'), maxNodes: 1 });
    expect(notes).to.deep.equal([`tree policy dynamic follows the cost curve of random:tiny:0 (q8_0, 1 thread) from ${file}, dynamic node budget 1`]);
  });

  it('costCurveTuning: no curve for the weight type keeps the defaults and says so; a float32 target is never tuned', async () => {
    const q4 = await loadModelAs('random:tiny', 'q4_0');
    const file = benchFile([{ model: 'random:tiny:0', threads: 1, weights: 'q8_0', forwardMs: STEEP }]);
    const notes: string[] = [];
    const tune = costCurveTuning({ ref: 'random:tiny', id: q4.id, weights: q4.weights, threads: 1, maxNodes: 64 }, { file, note: (l) => notes.push(l) });
    const dyn = policyConfig('dynamic');
    expect(tune(dyn)).to.equal(dyn);
    expect(notes).to.deep.equal([
      `no cost curve for random:tiny:0 (q4_0, 1 thread) in ${file}: tree policies keep their defaults (measure one: npm run bench:engine -- --models random:tiny --sections curve)`,
    ]);
    const f32 = await loadModelAs('random:tiny');
    const none = costCurveTuning(
      { ref: 'random:tiny', id: f32.id, weights: f32.weights, threads: 1, maxNodes: 64 },
      { file: benchFile([{ model: 'random:tiny:0', threads: 1, forwardMs: STEEP }]), note: (l) => notes.push(l) },
    );
    expect(none(dyn)).to.equal(dyn);
    expect(notes).to.have.length(1);
  });

  it('buildRun with a cost curve: the run-level dynamic policy of a q8_0 target gets the curve budget', async () => {
    const file = benchFile([{ model: 'random:tiny:0', threads: 1, weights: 'q8_0', forwardMs: STEEP }]);
    const spec: RunSpec = {
      target: 'random:tiny',
      targetWeights: 'q8_0',
      speculator: speculatorConfig('ngram'),
      policy: policyConfig('dynamic'),
      verifier: { kind: 'greedy' },
      sampling: GREEDY,
      maxNodes: 64,
      allowLossy: false,
      engine: { threads: 1 },
    };
    const notes: string[] = [];
    const run = await buildRun(spec, freshModels, { file, note: (l) => notes.push(l) });
    await run.dispose();
    expect(notes).to.deep.equal([`tree policy dynamic follows the cost curve of random:tiny:0 (q8_0, 1 thread) from ${file}, dynamic node budget 1`]);
  });

  it('readForwardLatency / findForwardLatency pick the weight type (entries without one are f32)', () => {
    const file = benchFile([
      { model: 'm', threads: 2, forwardMs: { 1: 0.2 } },
      { model: 'm', threads: 2, weights: 'q4_0', forwardMs: { 1: 0.1, 16: 0.5 } },
    ]);
    expect(readForwardLatency(file, 'm', 2)).to.deep.equal({ 1: 0.2 });
    expect(readForwardLatency(file, 'm', 2, 'q4_0')).to.deep.equal({ 1: 0.1, 16: 0.5 });
    expect(() => readForwardLatency(file, 'm', 2, 'q8_0')).to.throw(/no forwardMs for model m \(q8_0\) with 2 threads; it has: m \(f32, 2 threads\), m \(q4_0, 2 threads\)/);
    expect(findForwardLatency(file, 'm', 2, 'q8_0')).to.equal(undefined);
    expect(findForwardLatency(path.join(path.dirname(file), 'none.json'), 'm', 2, 'f32')).to.equal(undefined);
  });
});

describe('dynamic policy maxNodes', () => {
  /** root -> 1 (.6), 2 (.3), 3 (.1); 1 -> 4 (.5), 5 (.5). */
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
  };
  const ctx = { sampling: GREEDY, rng: createRng(0), maxNodes: 64, maxDepth: 100 };

  it('keeps at most maxNodes nodes below a larger step budget (the best by path probability)', async () => {
    const tree = await new DynamicPolicy({ depth: 8, topK: 3, beam: 0, minProb: 0, search: 'level', maxNodes: 3 }).grow(scriptedSource(SCRIPT), ctx);
    expect(pairs(tree)).to.deep.equal([
      [1, -1],
      [2, -1],
      [4, 0],
    ]);
  });

  it('rejects a negative or fractional maxNodes', () => {
    const bad = (maxNodes: number) => () => new DynamicPolicy({ depth: 8, topK: 3, beam: 0, minProb: 0, search: 'level', maxNodes });
    expect(bad(-1)).to.throw(RangeError, 'dynamic policy: maxNodes must be an integer >= 0, got -1');
    expect(bad(1.5)).to.throw(RangeError, 'dynamic policy: maxNodes must be an integer >= 0, got 1.5');
  });
});
