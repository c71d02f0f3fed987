import { expect } from 'chai';
import { buildPlannedRun, checkRunSpec, type RunSpec } from '../../src/harness/components.js';
import { speculatorConfig } from '../../src/speculators/registry.js';
import { createPolicy, definePolicy, policyConfig, registerPolicy, type PolicyConfig } from '../../src/tree/policies.js';
import { GREEDY } from '../../src/verifiers/index.js';
import { useTestModelsDir } from '../support/models-dir.js';

/** A chain policy that counts how often it is built. */
let built = 0;
const countingPolicy = definePolicy({
  kind: 'counting-chain',
  description: 'A chain that counts its builds (a test double).',
  options: {},
  create: (_c, draws) => {
    built++;
    return createPolicy(policyConfig('chain', { depth: 3 }), draws);
  },
});

describe('a run spec resolves once into a RunPlan that building consumes', () => {
  let unregister = () => {};
  before(() => {
    useTestModelsDir();
    unregister = registerPolicy(countingPolicy);
  });
  after(() => unregister());

  const hybrid = speculatorConfig('hybrid', { parts: [speculatorConfig('ngram'), speculatorConfig('suffix')] });
  const spec: RunSpec = {
    target: 'stories260K',
    speculator: hybrid,
    policy: countingPolicy.defaults() as unknown as PolicyConfig,
    verifier: { kind: 'greedy' },
    sampling: GREEDY,
    maxNodes: 16,
    allowLossy: false,
    engine: {},
  };

  it("checking builds each config's policy once (the hybrid and its two parts: 3); building builds none again", async () => {
    built = 0;
    const plan = checkRunSpec(spec);
    expect(built).to.equal(3);
    expect(plan.speculator.parts.map((p) => [p.config.kind, p.policy.kind, p.usesPolicy])).to.deep.equal([
      ['ngram', 'counting-chain', true],
      ['suffix', 'counting-chain', true],
    ]);
    expect([plan.speculator.usesPolicy, plan.traits]).to.deep.equal([false, { children: 'deterministic', chain: false }]);
    const run = await buildPlannedRun(plan);
    await run.dispose();
    expect(built).to.equal(3);
  });

  it('a config that is not part of the plan has no policy: a clear error', () => {
    expect(() => checkRunSpec(spec).policyOf(speculatorConfig('ngram'))).to.throw(
      /speculator 'ngram' was built as a part that its composite's definition does not list in parts\(\)/,
    );
  });
});
