/** The library entry point: the short path's defaults, and what it refuses. */
import { expect } from 'chai';
import { ConfigError, createRng, decodeSpeculative, generate, generateIncremental, openRun, speculatorConfig } from '../src/index.js';

describe('library API (src/index.ts)', () => {
  it('openRun + generate: an SSM tree gives incremental greedy decoding text, more than 1 token/step', async () => {
    const run = await openRun({ target: 'stories260K', speculator: speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] }) });
    try {
      const out = await generate(run, 'Once upon a time', { maxTokens: 48 });
      const plain = await generateIncremental(run.target, run.tokenizer.encode('Once upon a time', { bos: true }), {
        maxTokens: 48,
        stopTokens: [run.tokenizer.bosId, run.tokenizer.eosId],
      });
      expect(Array.from(out.tokens)).to.deep.equal(Array.from(plain.tokens));
      expect(out.text.length).to.be.greaterThan(20);
      expect(out.summary.tokens).to.equal(out.tokens.length + (out.stop === 'eos' ? 1 : 0));
      expect(out.summary.tokensPerStep).to.be.greaterThan(1.5);
      expect([run.sampling.temperature, run.maxNodes, run.verifier.kind]).to.deep.equal([0, 64, 'greedy']);
    } finally {
      await run.dispose();
    }
  });

  it('a run keeps its sampling: temperature 1 picks mss; the same seed on a fresh run gives the same text, another seed another', async () => {
    const sample = async (seed: number) => {
      // A fresh run each time: the suffix speculator learns from earlier outputs, which changes later trees.
      const run = await openRun({ target: 'stories260K', speculator: 'suffix', sampling: { temperature: 1 } });
      try {
        expect(run.verifier.kind).to.equal('mss');
        return (await generate(run, 'Tom had a dog', { seed })).text;
      } finally {
        await run.dispose();
      }
    };
    const [a, b, c] = [await sample(3), await sample(3), await sample(4)];
    expect(a).to.equal(b);
    expect(a).to.not.equal(c);
  });

  it('refuses a verifier that is not exact for the sampling, saying what to do', async () => {
    let err: unknown;
    try {
      await openRun({ target: 'stories260K', speculator: 'suffix', sampling: { temperature: 1 }, verifier: 'greedy' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/verifier|allow lossy/);
  });

  it('a greedy run decoded through decodeSpeculative at temperature 1 is an error, not greedy text', async () => {
    const run = await openRun({ target: 'stories260K', speculator: 'suffix' });
    try {
      const request = { prompt: run.tokenizer.encode('Tom had a dog', { bos: true }), rng: createRng(0) };
      const opts = { maxTokens: 8, stopTokens: [], sampling: { temperature: 1, topK: 0, topP: 1 }, maxNodes: run.maxNodes };
      let err: unknown;
      await decodeSpeculative(run.target, run.speculator, run.verifier, [request], opts).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/greedy verifier is not exact .* temperature 1/);
    } finally {
      await run.dispose();
    }
  });
});
