import { expect } from 'chai';
import { buildRun, SPECULATOR_KINDS, registerSpeculator, type SpeculatorConfig } from '../../src/index.js';
import { loadModel } from '../../src/model/models.js';
import { summarize } from '../../src/report/metrics.js';
import { GREEDY } from '../../src/verifiers/index.js';
import { decodeGreedy, firstDivergence, incrementalOutputs } from '../support/conformance.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';
import { bigramSpeculator } from './bigram.js';

describe('a speculator from outside src/ (test/plugins/bigram.ts), registered through the library API', () => {
  let unregister: () => void = () => {};
  before(() => {
    useTestModelsDir();
    unregister = registerSpeculator(bigramSpeculator);
  });
  after(() => unregister());

  it('joins the kinds; registering it again is a no-op, another definition of the kind an error', () => {
    expect(SPECULATOR_KINDS).to.include('bigram');
    registerSpeculator(bigramSpeculator);
    expect([...SPECULATOR_KINDS].filter((k: string) => k === 'bigram')).to.have.length(1);
    expect(() => registerSpeculator({ ...bigramSpeculator })).to.throw("speculator 'bigram' is already defined");
  });

  it('its schema: defaults apply, bad options are rejected', () => {
    expect(bigramSpeculator.defaults()).to.deep.equal({ kind: 'bigram', depth: 4 });
    expect(bigramSpeculator.schema.safeParse({ kind: 'bigram', depth: 0 }).success).to.equal(false);
    expect(bigramSpeculator.schema.safeParse({ kind: 'bigram', deep: 2 }).success).to.equal(false);
  });

  it('runs: greedy speculative decoding equals incremental decoding, with speculation taking place', async () => {
    const target = await engineModel('stories260K');
    const prompts = encodeAll((await loadModel('stories260K')).tokenizer, CONFORMANCE_PROMPTS);
    const expected = await incrementalOutputs(target, prompts);
    await target.dispose();
    const speculator = bigramSpeculator.schema.parse({ kind: 'bigram' }) as unknown as SpeculatorConfig;
    const run = await buildRun({ target: 'stories260K', speculator, verifier: { kind: 'greedy' }, sampling: GREEDY, maxNodes: 64, allowLossy: false, engine: {} });
    const { outputs, records } = await decodeGreedy(run.target, run.speculator, prompts, 1);
    await run.dispose();
    outputs.forEach((o, i) => expect(firstDivergence(o, expected[i]), `prompt ${i}`).to.equal(null));
    expect(summarize(records).tokensPerStep).to.be.above(1);
  });

  it('is gone again once unregistered', () => {
    unregister();
    expect([...SPECULATOR_KINDS]).not.to.include('bigram');
    unregister = registerSpeculator(bigramSpeculator);
  });
});
