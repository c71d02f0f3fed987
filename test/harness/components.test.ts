import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { calibrateAcceptance, calibrationPolicy } from '../../src/harness/calibrate.js';
import { buildRun, type RunSpec } from '../../src/harness/components.js';
import { readForwardLatency } from '../../src/harness/latency.js';
import { speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { policyConfig, type PolicyConfig } from '../../src/tree/policies.js';
import type { VerifierKind } from '../../src/verifiers/index.js';
import { useTestModelsDir } from '../support/models-dir.js';

function spec(speculator: SpeculatorConfig, verifier: VerifierKind, temperature: number, policy?: PolicyConfig): RunSpec {
  return { target: 'stories260K', speculator, policy, verifier: { kind: verifier }, sampling: { temperature, topK: 0, topP: 1 }, maxNodes: 64, allowLossy: false, engine: {} };
}

async function exactness(s: RunSpec): Promise<boolean | string> {
  try {
    const run = await buildRun(s);
    await run.dispose();
    return run.exact;
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
}

const NGRAM = speculatorConfig('ngram');
const CHAIN = policyConfig('chain', { depth: 4 });

describe('buildRun: the config-time exactness check covers the new speculators', () => {
  before(() => useTestModelsDir());

  const cases: { name: string; spec: RunSpec; exact: boolean | RegExp }[] = [
    { name: 'ngram tree + mss at T=1 (deterministic children: point masses)', spec: spec(NGRAM, 'mss', 1), exact: true },
    { name: 'suffix + ns at T=0.7', spec: spec(speculatorConfig('suffix'), 'ns', 0.7), exact: true },
    { name: 'ngram tree + sequence: refused (not a chain)', spec: spec(NGRAM, 'sequence', 1), exact: /not exact for trees with deterministic children/ },
    { name: 'ngram chain + sequence at T=1', spec: spec(NGRAM, 'sequence', 1, CHAIN), exact: true },
    { name: 'p-split with one branch + sequence', spec: spec(NGRAM, 'sequence', 1, policyConfig('p-split', { maxBranches: 1 })), exact: true },
    { name: 'recycle + greedy at T=1: refused', spec: spec(speculatorConfig('recycle'), 'greedy', 1), exact: /greedy needs temperature 0/ },
    {
      name: 'hybrid switch of chains + sequence',
      spec: spec(speculatorConfig('hybrid', { mode: 'switch', parts: [NGRAM, speculatorConfig('suffix')] }), 'sequence', 1, CHAIN),
      exact: true,
    },
    {
      name: 'hybrid merge of chains + sequence: refused (several proposers)',
      spec: spec(speculatorConfig('hybrid', { mode: 'merge', parts: [NGRAM, speculatorConfig('suffix')] }), 'sequence', 1, CHAIN),
      exact: /not exact for trees/,
    },
    { name: 'layer-skip chain + sequence at T=1 (sampled children)', spec: spec(speculatorConfig('layer-skip', { layers: 1 }), 'sequence', 1, CHAIN), exact: true },
    {
      name: 'layer-skip with 9 layers: refused, naming the range',
      spec: spec(speculatorConfig('layer-skip', { layers: 9 }), 'mss', 1),
      exact: /layers must be an integer in 1\.\.5/,
    },
    {
      name: 'a bad policy option is refused before any model loads',
      spec: { ...spec(NGRAM, 'mss', 1, policyConfig('dynamic', { beam: -1 })), target: 'no-such-model' },
      exact: /policy 'dynamic'.*beam/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const got = await exactness(c.spec);
      if (c.exact instanceof RegExp) expect(got).to.be.a('string').and.match(c.exact);
      else expect(got).to.equal(c.exact);
    });
  }
});

describe('calibration and latency inputs of the Sequoia policy', () => {
  before(() => useTestModelsDir());

  it("calibrateAcceptance measures the SSM's per-rank acceptance (p1 dominant, sum <= 1)", async () => {
    const run = await buildRun(spec(speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] }), 'greedy', 0, calibrationPolicy(4)));
    const prompts = ['Once upon a time', 'Tom had a red ball.'].map((p) => run.tokenizer.encode(p));
    const p = await calibrateAcceptance(run.target, run.speculator, prompts, { ranks: 4, maxTokens: 48, stopTokens: [1, 2] });
    await run.dispose();
    expect(p).to.have.length(4);
    expect(p[0]).to.be.above(0.5);
    expect(p[0]).to.be.above(p[1]);
    expect(p.reduce((s, v) => s + v, 0)).to.be.at.most(1 + 1e-12);
  });

  it('readForwardLatency picks the model and thread count from an engine benchmark file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'specinfer-'));
    const file = path.join(dir, 'engine.json');
    writeFileSync(
      file,
      JSON.stringify({
        results: [
          { model: 'm', threads: 2, forwardMs: { 1: 0.2 } },
          { model: 'm', threads: 1, forwardMs: { 1: 0.3, 8: 0.5 } },
        ],
      }),
    );
    expect(readForwardLatency(file, 'm', 1)).to.deep.equal({ 1: 0.3, 8: 0.5 });
    expect(() => readForwardLatency(file, 'other', 1)).to.throw(
      ConfigError,
      /no forwardMs for model other \(f32\) with 1 threads; it has: m \(f32, 2 threads\), m \(f32, 1 threads\)/,
    );
    expect(() => readForwardLatency(path.join(dir, 'none.json'), 'm', 1)).to.throw(ConfigError, /not found/);
  });
});

describe('buildRun: a node budget beyond the rows one forward computes is refused before decoding', () => {
  before(() => useTestModelsDir());
  const none = (maxNodes: number, graph?: 'fused' | 'reference'): RunSpec => ({ ...spec({ kind: 'none' }, 'greedy', 0), maxNodes, engine: graph ? { graph } : {} });

  it("fused graph: stories260K's bound is its RoPE cache of 4096 rows; 4095 nodes build, 4096 are refused naming the bound", async () => {
    const run = await buildRun(none(4095));
    await run.dispose();
    let message = '';
    await buildRun(none(4096)).catch((e: unknown) => (message = e instanceof ConfigError ? e.message : String(e)));
    expect(message).to.equal(
      'maxNodes 4096: a tree of 4097 rows (root included) exceeds the 4096 rows one forward of stories260K computes per request (fused graph); set maxNodes to at most 4095',
    );
  });

  it('reference graph: no bound', async () => {
    const run = await buildRun(none(5000, 'reference'));
    await run.dispose();
    expect(run.maxNodes).to.equal(5000);
  });
});
