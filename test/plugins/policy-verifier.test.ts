import { expect } from 'chai';
import { buildRun, createPolicy, POLICY_KINDS, registerPolicy, registerVerifier, speculatorConfig, VERIFIER_KINDS, type RunSpec } from '../../src/index.js';
import { optionFlags } from '../../src/harness/option-flags.js';
import { optionsDocText } from '../../src/harness/options-doc.js';
import { checkRunSpec } from '../../src/harness/components.js';
import { loadModel } from '../../src/model/models.js';
import { summarize } from '../../src/report/metrics.js';
import { policySchema } from '../../src/tree/policies.js';
import { GREEDY, verifierKindSchema, type VerifierKind } from '../../src/verifiers/index.js';
import { decodeGreedy, firstDivergence, incrementalOutputs } from '../support/conformance.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';
import { fanPolicy, rejectAllVerifier } from './fan.js';

function spec(verifier: string, temperature = 0): RunSpec {
  const policy = fanPolicy.defaults() as unknown as RunSpec['policy'];
  return {
    target: 'stories260K',
    speculator: speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] }),
    policy,
    verifier: { kind: verifier as 'greedy' },
    sampling: { ...GREEDY, temperature },
    maxNodes: 64,
    allowLossy: false,
    engine: {},
  };
}

describe('a tree policy and a verifier from outside src/ (test/plugins/fan.ts), registered through the library API', () => {
  const unregister: (() => void)[] = [];
  before(() => {
    useTestModelsDir();
    unregister.push(registerPolicy(fanPolicy), registerVerifier(rejectAllVerifier));
  });
  after(() => unregister.forEach((u) => u()));

  it('join the kinds; registering again is a no-op, another definition of the kind an error', () => {
    expect(POLICY_KINDS).to.include('fan');
    expect(VERIFIER_KINDS).to.include('reject-all');
    registerPolicy(fanPolicy);
    expect([...POLICY_KINDS].filter((k: string) => k === 'fan')).to.have.length(1);
    expect(() => registerPolicy({ ...fanPolicy })).to.throw("tree policy 'fan' is already defined");
    expect(() => registerVerifier({ ...rejectAllVerifier })).to.throw("verifier 'reject-all' is already defined");
  });

  it('the policy: defaults, schema, and the tree it builds (<3,1,1,1>)', () => {
    expect(fanPolicy.defaults()).to.deep.equal({ kind: 'fan', width: 3, depth: 4 });
    expect(fanPolicy.schema.safeParse({ kind: 'fan', width: 0 }).success).to.equal(false);
    const p = createPolicy(fanPolicy.defaults() as unknown as Parameters<typeof createPolicy>[0]);
    expect([p.depth, p.chain]).to.deep.equal([4, false]);
  });

  it('generated flags and the options doc list them', () => {
    const flags = optionFlags().filter((f) => f.targets.some((t) => t.kind === 'fan'));
    expect(flags.map((f) => f.flag).sort()).to.deep.equal(['depth', 'fan-width']);
    const text = optionsDocText();
    expect(text).to.include('### `fan`\n');
    expect(text).to.include("| `reject-all` | Accepts no draft token: emits the target's argmax (a plugin example). | yes | no | no | no | no | with replacement |");
  });

  it('config schemas see them while registered, whenever registered', () => {
    const known = () => [policySchema.safeParse({ kind: 'fan', width: 2 }).success, verifierKindSchema.safeParse('reject-all').success];
    expect(known()).to.deep.equal([true, true]);
    unregister.splice(0).forEach((u) => u());
    expect(known()).to.deep.equal([false, false]);
    unregister.push(registerPolicy(fanPolicy), registerVerifier(rejectAllVerifier));
    expect(known()).to.deep.equal([true, true]);
  });

  it('the verifier: its exactness is checked with its own words', () => {
    expect(checkRunSpec(spec('reject-all')).exact).to.equal(true);
    expect(() => checkRunSpec(spec('reject-all', 1))).to.throw(
      /verifier 'reject-all' is not exact for trees with sampled children at temperature 1 \(reject-all needs temperature 0\)/,
    );
  });

  it('runs: fan trees under greedy and under reject-all give the incremental text; reject-all takes one token per step', async () => {
    const target = await engineModel('stories260K');
    const prompts = encodeAll((await loadModel('stories260K')).tokenizer, CONFORMANCE_PROMPTS);
    const expected = await incrementalOutputs(target, prompts);
    await target.dispose();
    const perStep: number[] = [];
    for (const verifier of ['greedy', 'reject-all']) {
      const run = await buildRun(spec(verifier));
      const { outputs, records } = await decodeGreedy(run.target, run.speculator, prompts, 1, 64, verifier as VerifierKind);
      await run.dispose();
      outputs.forEach((o, i) => expect(firstDivergence(o, expected[i]), `${verifier}, prompt ${i}`).to.equal(null));
      perStep.push(summarize(records).tokensPerStep);
    }
    expect(perStep[0]).to.be.above(1);
    expect(perStep[1]).to.equal(1);
  });
});
