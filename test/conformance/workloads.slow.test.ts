import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import { buildRun, type RunSpec } from '../../src/harness/components.js';
import { readWorkload } from '../../src/harness/workload.js';
import { summarize } from '../../src/report/metrics.js';
import { speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { GREEDY } from '../../src/verifiers/index.js';
import { decodeGreedy } from '../support/conformance.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS } from '../support/prompts.js';

function spec(speculator: SpeculatorConfig): RunSpec {
  return { target: 'stories260K', speculator, verifier: { kind: 'greedy' }, sampling: GREEDY, maxNodes: 64, allowLossy: false, engine: {} };
}

/** Greedy tokens/step of a speculator over a workload, requests one after another (128 tokens each). */
async function tokensPerStep(speculator: SpeculatorConfig, prompts: readonly string[]): Promise<number> {
  const run = await buildRun(spec(speculator));
  let tokens = 0;
  let steps = 0;
  for (const [i, p] of prompts.entries()) {
    const { records } = await decodeSpeculative(run.target, run.speculator, run.verifier, [{ prompt: run.tokenizer.encode(p), rng: createRng(i) }], {
      maxTokens: 128,
      stopTokens: [1, 2],
      sampling: GREEDY,
      maxNodes: 64,
    });
    const s = summarize(records);
    tokens += s.tokens;
    steps += s.steps;
  }
  await run.dispose();
  return tokens / steps;
}

describe('workloads: where model-free speculation shines (stories260K, greedy)', () => {
  before(() => useTestModelsDir());

  for (const kind of ['ngram', 'suffix'] as const) {
    it(`${kind}: more than 1.5 tokens/step on experiments/workloads/repetitive.jsonl (36 prompts x 128 tokens)`, async () => {
      const prompts = readWorkload('repetitive').map((w) => w.prompt);
      expect(prompts.length).to.be.at.least(32);
      const tps = await tokensPerStep(speculatorConfig(kind), prompts);
      console.log(`      ${kind}: ${tps.toFixed(2)} tokens/step`);
      expect(tps).to.be.above(1.5);
    });
  }
});

describe('layer-skip self-drafts: tokens/step by the number of layers kept (stories260K has 5)', () => {
  before(() => useTestModelsDir());

  it(`L = 1..4 on ${CONFORMANCE_PROMPTS.length} prompts x 128 tokens: non-decreasing in L, L=4 well above L=1`, async () => {
    const perL: number[] = [];
    for (let layers = 1; layers <= 4; layers++) {
      const run = await buildRun(spec(speculatorConfig('layer-skip', { layers })));
      const prompts = CONFORMANCE_PROMPTS.map((p) => run.tokenizer.encode(p));
      const { records } = await decodeGreedy(run.target, run.speculator, prompts, prompts.length);
      await run.dispose();
      perL.push(summarize(records).tokensPerStep);
    }
    console.log(`      tokens/step for L = 1..4: ${perL.map((v) => v.toFixed(2)).join(', ')}`);
    for (let i = 1; i < 4; i++) expect(perL[i], `L=${i + 1} vs L=${i}`).to.be.at.least(perL[i - 1] - 0.02);
    expect(perL[3]).to.be.above(perL[0] + 0.5);
  });
});
