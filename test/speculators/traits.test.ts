import { expect } from 'chai';
import { buildRun } from '../../src/harness/components.js';
import { ModelCache } from '../../src/harness/model-cache.js';
import { speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { configTraits, draftModelRefs, needsTargetLogits } from '../../src/speculators/traits.js';
import { policyConfig, type PolicyConfig } from '../../src/tree/policies.js';
import { GREEDY } from '../../src/sampling/params.js';
import { useTestModelsDir } from '../support/models-dir.js';

const SSM = speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] });
const CHAIN = policyConfig('chain', { depth: 4 });

const CASES: { name: string; speculator: SpeculatorConfig; policy?: PolicyConfig }[] = [
  { name: 'none', speculator: speculatorConfig('none') },
  { name: 'one SSM, static tree', speculator: SSM },
  { name: 'one SSM, chain', speculator: SSM, policy: CHAIN },
  { name: 'two SSMs, chain (a merge: not a chain)', speculator: speculatorConfig('draft-model', { models: ['stories260K-ssm-m', 'stories260K-ssm-s'] }), policy: CHAIN },
  { name: 'SSM, dynamic', speculator: SSM, policy: policyConfig('dynamic') },
  { name: 'SSM, children top-k', speculator: SSM, policy: policyConfig('static', { children: 'top-k' }) },
  { name: 'gsd, static tree', speculator: speculatorConfig('gsd', { models: ['stories260K-ssm-m'] }) },
  { name: 'gsd, chain', speculator: speculatorConfig('gsd', { models: ['stories260K-ssm-m'], context: 1 }), policy: CHAIN },
  { name: 'layer-skip chain', speculator: speculatorConfig('layer-skip', { layers: 2 }), policy: CHAIN },
  { name: 'ngram', speculator: speculatorConfig('ngram') },
  { name: 'suffix chain', speculator: speculatorConfig('suffix'), policy: CHAIN },
  { name: 'retrieval (references only)', speculator: speculatorConfig('retrieval') },
  { name: 'recycle', speculator: speculatorConfig('recycle') },
  { name: 'hybrid merge of SSM and suffix', speculator: speculatorConfig('hybrid', { parts: [SSM, speculatorConfig('suffix')] }) },
  { name: 'hybrid switch of chains', speculator: speculatorConfig('hybrid', { mode: 'switch', parts: [SSM, speculatorConfig('ngram')] }), policy: CHAIN },
];

describe("tree traits from a config (what validation checks exactness with) equal the built speculator's", () => {
  before(() => useTestModelsDir());
  const models = new ModelCache();
  after(() => models.dispose());

  for (const c of CASES) {
    it(c.name, async () => {
      const run = await buildRun(
        { target: 'stories260K', speculator: c.speculator, policy: c.policy, verifier: { kind: 'mss' }, sampling: GREEDY, maxNodes: 64, allowLossy: true, engine: {} },
        models,
      );
      for (const sampling of [GREEDY, { temperature: 1, topK: 0, topP: 1 }]) {
        expect(configTraits(c.speculator, c.policy, sampling)).to.deep.equal(run.speculator.treeTraits(sampling));
      }
      await run.dispose();
    });
  }

  it('finds the drafts and the parts that need target logits inside hybrids', () => {
    const h = speculatorConfig('hybrid', {
      parts: [SSM, speculatorConfig('recycle'), speculatorConfig('draft-model', { models: ['x'] }), speculatorConfig('gsd', { models: ['y'] })],
    });
    expect(draftModelRefs(h)).to.deep.equal(['stories260K-ssm-m', 'x', 'y']);
    expect(needsTargetLogits(h)).to.deep.equal(['recycle']);
    expect(needsTargetLogits(SSM)).to.deep.equal([]);
  });
});
