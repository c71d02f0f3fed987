import { expect } from 'chai';
import { checkRunSpec, type RunSpec } from '../../src/harness/components.js';
import { buildRun } from '../../src/harness/components.js';
import { ModelCache } from '../../src/harness/model-cache.js';
import { loadModel } from '../../src/model/models.js';
import { SPECULATOR_DEFINITIONS, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { POLICY_KINDS, policyConfig, type PolicyConfig } from '../../src/tree/policies.js';
import { GREEDY, VERIFIER_KINDS, type VerifierKind } from '../../src/verifiers/index.js';
import { decodeGreedy, firstDivergence, incrementalOutputs, NEW_TOKENS } from '../support/conformance.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';
import { FULL_TIER } from '../support/tier.js';

interface Case {
  readonly speculator: SpeculatorConfig;
  readonly policy?: PolicyConfig;
  readonly verifier: VerifierKind;
}

function spec(c: Case): RunSpec {
  return { target: 'stories260K', speculator: c.speculator, policy: c.policy, verifier: { kind: c.verifier }, sampling: GREEDY, maxNodes: 64, allowLossy: false, engine: {} };
}

/** Whether the run checks pass (a verifier that is not exact for the kind's trees at T=0 is left out). */
function runnable(c: Case): boolean {
  try {
    checkRunSpec(spec(c));
    return true;
  } catch {
    return false;
  }
}

/**
 * Every registered speculator (its example config): with its default policy
 * and the greedy verifier in the fast tier; with every tree policy x every
 * verifier exact at T=0 in the full tier. A new definition is picked up here
 * with no edit.
 */
function cases(): Case[] {
  const policies: (PolicyConfig | undefined)[] = FULL_TIER ? [undefined, ...POLICY_KINDS.map((k) => policyConfig(k))] : [undefined];
  const verifiers: readonly VerifierKind[] = FULL_TIER ? VERIFIER_KINDS : ['greedy'];
  const out: Case[] = [];
  for (const def of SPECULATOR_DEFINITIONS)
    for (const policy of def.kind === 'none' ? [undefined] : policies) for (const verifier of verifiers) out.push({ speculator: def.example(), policy, verifier });
  return out.filter(runnable);
}

describe('conformance: every registered speculator, greedy speculative = greedy incremental', function () {
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
    const kinds = new Set(cases().map((c) => c.speculator.kind));
    expect([...kinds]).to.deep.equal(SPECULATOR_DEFINITIONS.map((d) => d.kind));
  });

  for (const c of cases()) {
    it(`${c.speculator.kind}, policy ${c.policy?.kind ?? 'its default'}, verifier ${c.verifier}: ${CONFORMANCE_PROMPTS.length} prompts x ${NEW_TOKENS} tokens`, async () => {
      const run = await buildRun(spec(c), models);
      const { outputs } = await decodeGreedy(run.target, run.speculator, prompts, 1, 64, c.verifier);
      await run.dispose();
      outputs.forEach((o, i) => expect(firstDivergence(o, expected[i]), `prompt ${i}`).to.equal(null));
    });
  }
});
