import { expect } from 'chai';
import path from 'node:path';
import type { EngineModel } from '../../src/engine/model.js';
import { buildRun, type RunSpec } from '../../src/harness/components.js';
import { workloadsDir } from '../../src/harness/workload.js';
import { loadModel } from '../../src/model/models.js';
import { summarize } from '../../src/report/metrics.js';
import { speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { policyConfig, type PolicyConfig } from '../../src/tree/policies.js';
import { GREEDY } from '../../src/verifiers/index.js';
import { decodeGreedy, firstDivergence, incrementalOutputs, NEW_TOKENS } from '../support/conformance.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';

interface Combo {
  readonly name: string;
  readonly speculator: SpeculatorConfig;
  readonly policy?: PolicyConfig;
  readonly batchSize: number;
  /** Tokens/step it must exceed over the 8 prompts (speculation took place). */
  readonly above: number;
}

const SSM_S = speculatorConfig('draft-model', { models: ['stories260K-ssm-s'] });
const SSM_M = speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] });
/** The corpus of the retell workload: stories260K's own stories. */
const STORIES = path.resolve(workloadsDir(), '../corpora/stories260K-stories.txt');
/** A latency curve in the shape of results/bench/engine.json (stories260K, 1 thread), inlined. */
const FORWARD_MS = { 1: 0.35, 2: 0.36, 4: 0.3, 8: 0.38, 16: 0.4, 32: 0.58, 64: 0.94 };

/** Every speculator kind and every tree policy at least once (the SSM-only combinations are in greedy.test.ts). */
const COMBOS: readonly Combo[] = [
  { name: 'ngram, its default tree (branches of matches)', speculator: speculatorConfig('ngram'), batchSize: 1, above: 1.2 },
  { name: 'ngram, chain of 6', speculator: speculatorConfig('ngram'), policy: policyConfig('chain', { depth: 6 }), batchSize: 4, above: 1.2 },
  { name: 'suffix, its default tree (best-first by probability)', speculator: speculatorConfig('suffix'), batchSize: 1, above: 1.2 },
  { name: 'suffix, p-split', speculator: speculatorConfig('suffix'), policy: policyConfig('p-split'), batchSize: 1, above: 1.2 },
  {
    name: 'retrieval over the stories corpus, its default tree (best-first by probability)',
    speculator: speculatorConfig('retrieval', { corpus: STORIES }),
    batchSize: 4,
    above: 1.2,
  },
  { name: 'recycle, its default tree (BFS over the table)', speculator: speculatorConfig('recycle'), batchSize: 1, above: 1.2 },
  { name: 'recycle, sequoia', speculator: speculatorConfig('recycle'), policy: policyConfig('sequoia'), batchSize: 4, above: 1.2 },
  { name: 'layer-skip L=2, static <1,1,3,1,1,1,1,1>', speculator: speculatorConfig('layer-skip', { layers: 2 }), batchSize: 1, above: 1 },
  { name: 'layer-skip L=4, dynamic', speculator: speculatorConfig('layer-skip', { layers: 4 }), policy: policyConfig('dynamic'), batchSize: 4, above: 1.2 },
  { name: 'gsd (ssm-m), context 2, its default tree (static)', speculator: speculatorConfig('gsd', { models: ['stories260K-ssm-m'] }), batchSize: 1, above: 1.2 },
  {
    name: 'gsd (ssm-s), context 1, dynamic',
    speculator: speculatorConfig('gsd', { models: ['stories260K-ssm-s'], context: 1 }),
    policy: policyConfig('dynamic'),
    batchSize: 4,
    above: 1.2,
  },
  { name: 'SSM (ssm-m), dynamic', speculator: SSM_M, policy: policyConfig('dynamic'), batchSize: 4, above: 1.2 },
  { name: 'SSM (ssm-m), p-split', speculator: SSM_M, policy: policyConfig('p-split'), batchSize: 1, above: 1.2 },
  {
    name: 'SSM (ssm-s), sequoia, hardware-aware',
    speculator: SSM_S,
    policy: policyConfig('sequoia', { hardware: { forwardMs: FORWARD_MS, draftMsPerLevel: 0.1 } }),
    batchSize: 1,
    above: 1.2,
  },
  { name: 'hybrid merge: suffix + SSM (ssm-s)', speculator: speculatorConfig('hybrid', { mode: 'merge', parts: [speculatorConfig('suffix'), SSM_S] }), batchSize: 4, above: 1.2 },
  {
    name: 'hybrid switch: ngram when its match >= 2, else SSM (ssm-m)',
    speculator: speculatorConfig('hybrid', { mode: 'switch', minMatch: 2, parts: [speculatorConfig('ngram'), SSM_M] }),
    batchSize: 1,
    above: 1.2,
  },
  {
    name: 'hybrid merge of the model-free three: ngram + suffix + recycle',
    speculator: speculatorConfig('hybrid', { parts: [speculatorConfig('ngram'), speculatorConfig('suffix'), speculatorConfig('recycle')] }),
    batchSize: 1,
    above: 1.2,
  },
];

function spec(c: Combo): RunSpec {
  return { target: 'stories260K', speculator: c.speculator, policy: c.policy, verifier: { kind: 'greedy' }, sampling: GREEDY, maxNodes: 64, allowLossy: false, engine: {} };
}

describe('conformance: every speculator and tree policy, greedy speculative = greedy incremental', function () {
  let target: EngineModel;
  let prompts: Int32Array[];
  let expected: Int32Array[];

  before(async () => {
    useTestModelsDir();
    target = await engineModel('stories260K');
    prompts = encodeAll((await loadModel('stories260K')).tokenizer, CONFORMANCE_PROMPTS);
    expected = await incrementalOutputs(target, prompts);
  });

  after(async () => target.dispose());

  for (const c of COMBOS) {
    it(`${c.name}, batch size ${c.batchSize}: ${CONFORMANCE_PROMPTS.length} prompts x ${NEW_TOKENS} tokens`, async () => {
      const run = await buildRun(spec(c));
      const { outputs, records } = await decodeGreedy(run.target, run.speculator, prompts, c.batchSize);
      await run.dispose();
      outputs.forEach((o, i) => expect(firstDivergence(o, expected[i]), `prompt ${i}`).to.equal(null));
      expect(records.every((r) => r.treeSize <= 64)).to.equal(true);
      expect(summarize(records).tokensPerStep, 'speculation took place').to.be.above(c.above);
    });
  }
});
