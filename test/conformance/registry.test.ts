import { expect } from 'chai';
import { ModelCache } from '../../src/harness/model-cache.js';
import { loadModel } from '../../src/model/models.js';
import { SPECULATOR_DEFINITIONS } from '../../src/speculators/registry.js';
import { POLICY_DEFINITIONS } from '../../src/tree/policies.js';
import { VERIFIER_DEFINITIONS } from '../../src/verifiers/index.js';
import { incrementalOutputs, NEW_TOKENS } from '../support/conformance.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';
import { caseTitle, checkConformance, conformanceCases, policyAndVerifierCases } from '../support/registry-conformance.js';

/**
 * Every registered speculator (its example config): with its default policy
 * and the greedy verifier in the fast tier; with every tree policy x every
 * verifier exact at T=0 in the full tier. Every registered tree policy and
 * verifier: the draft-model example under each. A new definition is picked
 * up here with no edit.
 */
describe('conformance: every registered speculator, tree policy and verifier, greedy speculative = greedy incremental', function () {
  let prompts: Int32Array[];
  let expected: Int32Array[];
  const models = new ModelCache();

  before(async () => {
    useTestModelsDir();
    const target = await engineModel('stories260K');
    prompts = encodeAll((await loadModel('stories260K')).tokenizer, CONFORMANCE_PROMPTS);
    expected = await incrementalOutputs(target, prompts);
    await target.dispose();
  });

  after(async () => models.dispose());

  it('covers every registered kind', () => {
    const kinds = new Set(conformanceCases(SPECULATOR_DEFINITIONS).map((c) => c.speculator.kind));
    expect([...kinds]).to.deep.equal(SPECULATOR_DEFINITIONS.map((d) => d.kind));
  });

  it('covers every registered tree policy and verifier', () => {
    const cases = policyAndVerifierCases();
    expect([...new Set(cases.flatMap((c) => (c.policy ? [c.policy.kind] : [])))]).to.deep.equal(POLICY_DEFINITIONS.map((d) => d.kind));
    expect([...new Set(cases.map((c) => c.verifier))].sort()).to.deep.equal(VERIFIER_DEFINITIONS.map((d) => d.kind).sort());
  });

  for (const c of [...conformanceCases(SPECULATOR_DEFINITIONS), ...policyAndVerifierCases()]) {
    it(`${caseTitle(c)}: ${CONFORMANCE_PROMPTS.length} prompts x ${NEW_TOKENS} tokens`, async () => checkConformance(c, prompts, expected, models));
  }
});
