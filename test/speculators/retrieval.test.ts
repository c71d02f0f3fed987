import { expect } from 'chai';
import path from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import { buildRun } from '../../src/harness/components.js';
import { ConfigFileError, formatIssue } from '../../src/harness/config-source.js';
import { loadExperiment } from '../../src/harness/load.js';
import { readWorkload, referenceTokens, workloadsDir } from '../../src/harness/workload.js';
import { summarize } from '../../src/report/metrics.js';
import { readCorpus } from '../../src/speculators/corpus.js';
import { createSpeculator, speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { RetrievalIndex, RetrievalState, type RetrievalOptions } from '../../src/speculators/retrieval.js';
import type { Speculator } from '../../src/speculators/types.js';
import { DraftTreeBuilder } from '../../src/tree/builder.js';
import { DynamicPolicy } from '../../src/tree/dynamic.js';
import { createPolicy, policyConfig } from '../../src/tree/policies.js';
import { createVerifier, GREEDY } from '../../src/verifiers/index.js';
import { firstDivergence, STOP } from '../support/conformance.js';
import { TempDir } from '../support/fuzz.js';
import { outcome } from '../support/outcomes.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { pairs } from '../support/sources.js';

const OPTS: RetrievalOptions = { maxDepth: 4, maxSpecFactor: 4, minTokenProb: 0.1 };
const CTX = { sampling: GREEDY, rng: createRng(0), maxNodes: 64, maxDepth: 50 };
/** Its default policy: best-first by path probability. */
const POLICY = new DynamicPolicy({ depth: 4, topK: 8, beam: 0, minProb: 0, search: 'level' });
/**
 * Documents A = 1 2 3 4, B = 1 2 3 5, C = 2 3 4 6. After "9 1 2 3":
 * "1 2 3" (A, B) -> 4 (1/2), 5 (1/2); after 4, "1 2 3 4" ends A, so its
 * suffix "2 3 4" (A, C) -> 6 (1/1); after 5 and after 4 6 nothing follows.
 */
const CORPUS = [
  [1, 2, 3, 4],
  [1, 2, 3, 5],
  [2, 3, 4, 6],
].map((d) => Int32Array.from(d));
const HISTORY = Int32Array.of(9, 1, 2, 3);
const STORIES = path.resolve(workloadsDir(), '../corpora/stories260K-stories.txt');

function state(refs: number[][] = [], corpus = CORPUS): RetrievalState {
  return new RetrievalState(
    OPTS,
    new RetrievalIndex(OPTS, corpus),
    HISTORY,
    refs.map((r) => Int32Array.from(r)),
  );
}

async function grow(s: RetrievalState) {
  s.reset();
  return POLICY.grow(s, s.limits(CTX));
}

/** The error `f` throws (null when it returns). */
async function thrown(f: () => unknown): Promise<Error | null> {
  try {
    await f();
    return null;
  } catch (e) {
    return e as Error;
  }
}

describe('retrieval speculator: proposals from a corpus and the request references', () => {
  it('the corpus alone: "1 2 3" -> 4, 5 (ties: lower token first); 4 -> 6 by the suffix "2 3 4"', async () => {
    const s = state();
    s.reset();
    expect((await s.propose(new DraftTreeBuilder(['x']).shape(), [0]))[0]).to.deep.equal({ kind: 'ranked', tokens: [4, 5], probs: [0.5, 0.5] });
    expect(s.matchLength()).to.equal(3);
    expect(s.limits(CTX).maxNodes).to.equal(12); // floor(4 * 3)
    expect(pairs(await grow(s))).to.deep.equal([
      [4, -1],
      [5, -1],
      [6, 0],
    ]);
  });

  it('references join: reference 1 2 3 5 7 adds a count to 5 (5: 2/3, 4: 1/3), and proposes 7 after 5 (the deeper match)', async () => {
    const s = state([[1, 2, 3, 5, 7]]);
    expect(pairs(await grow(s))).to.deep.equal([
      [5, -1],
      [4, -1],
      [7, 0],
      [6, 1],
    ]);
  });

  it('references only (empty corpus index), and the history grows by what was emitted', async () => {
    const s = state([[1, 2, 3, 5, 7, 8]], []);
    expect(pairs(await grow(s))).to.deep.equal([
      [5, -1],
      [7, 0],
      [8, 1],
    ]);
    s.observe(outcome([5, 7]));
    expect(pairs(await grow(s))).to.deep.equal([[8, -1]]);
  });

  it("not the request's own history: a history that repeats itself proposes nothing without a corpus or references", async () => {
    const s = new RetrievalState(OPTS, new RetrievalIndex(OPTS, []), Int32Array.of(1, 2, 3, 1, 2), []);
    expect(s.matchLength()).to.equal(0);
    expect((await grow(s)).tokens.length).to.equal(0);
  });
});

describe('retrieval speculator: corpus files and bad inputs', () => {
  const tmp = new TempDir();
  after(() => tmp.remove());
  const build = (cfg: SpeculatorConfig): Promise<Speculator> =>
    createSpeculator(cfg, {
      policy: createPolicy(policyConfig('dynamic')),
      vocabSize: 512,
      encode: (text) => Int32Array.from(text, (ch) => ch.charCodeAt(0)),
      draftModels: async () => [],
      layerSkipModel: async () => {
        throw new Error('no models here');
      },
      build: (c) => build(c),
    });

  it('documents: blank-line-separated paragraphs of a text file; "text" of each JSONL line', () => {
    expect(readCorpus(tmp.write('c.txt', 'one\ntwo\n\n\nthree\n  \nfour'))).to.deep.equal(['one\ntwo', 'three', 'four']);
    expect(readCorpus(tmp.write('c.jsonl', '{"text": "a b"}\n\n{"text": "c"}\n'))).to.deep.equal(['a b', 'c']);
    expect(() => readCorpus(tmp.write('d.jsonl', '{"text": "a"}\n{"txt": "b"}\n'))).to.throw(ConfigError, /d\.jsonl:2: each line must be an object with a string "text"/);
  });

  it('a missing or empty corpus is a ConfigError naming the kind and the file', async () => {
    const missing = await thrown(() => build(speculatorConfig('retrieval', { corpus: path.join(tmp.dir, 'nope.txt') })));
    expect(missing).to.be.instanceOf(ConfigError);
    expect(missing?.message).to.match(/^speculator 'retrieval': corpus file .*nope\.txt not found$/);
    const empty = await thrown(() => build(speculatorConfig('retrieval', { corpus: tmp.write('empty.txt', ' \n\n') })));
    expect(empty).to.be.instanceOf(ConfigError);
    expect(empty?.message).to.match(/^speculator 'retrieval': corpus file .*empty\.txt is empty \(no documents\)$/);
    expect((await build(speculatorConfig('retrieval', { corpus: tmp.write('ok.txt', 'abc') }))).kind).to.equal('retrieval');
  });

  it('in an experiment file, a missing corpus is FILE:LINE: speculator.corpus: problem', () => {
    useTestModelsDir();
    const text = ['target: stories260K', 'speculator: {kind: retrieval, corpus: no-such-corpus.txt}', 'workload: story-openings', 'seeds: [1]'].join('\n');
    let issues: string[] = [];
    try {
      loadExperiment('exp.yaml', { text });
    } catch (e) {
      if (!(e instanceof ConfigFileError)) throw e;
      issues = e.issues.map(formatIssue);
    }
    expect(issues).to.have.length(1);
    expect(issues[0]).to.match(/^exp\.yaml:2: speculator\.corpus: corpus file .*no-such-corpus\.txt not found$/);
  });

  it('workload references: an array of strings, else FILE:LINE: references: problem', () => {
    const ok = tmp.write('w.jsonl', '{"id": "a", "prompt": "x", "references": ["r1", "r2"]}\n{"prompt": "y"}\n');
    expect(readWorkload(ok)).to.deep.equal([
      { id: 'a', prompt: 'x', references: ['r1', 'r2'] },
      { id: 'w-2', prompt: 'y' },
    ]);
    const bad = (line: string) => () => readWorkload(tmp.write('w.jsonl', `{"prompt": "x"}\n${line}\n`));
    expect(bad('{"prompt": "y", "references": "r1"}')).to.throw(ConfigError, /w\.jsonl:2: references: must be an array of strings \(reference documents\), got a string$/);
    expect(bad('{"prompt": "y", "references": ["r1", 5]}')).to.throw(ConfigError, /w\.jsonl:2: references: .* got an array with a number$/);
    expect(bad('{"prompt": "y", "references": null}')).to.throw(ConfigError, /w\.jsonl:2: references: .* got null$/);
  });
});

describe('retrieval on the retell workload (stories260K, greedy)', () => {
  before(() => useTestModelsDir());

  /** Tokens/step of `cfg` over the first 6 retell prompts (with their references), checked equal to incremental decoding's output. */
  async function tokensPerStep(cfg: SpeculatorConfig, expected?: Int32Array[]): Promise<{ tps: number; outputs: Int32Array[] }> {
    const run = await buildRun({ target: 'stories260K', speculator: cfg, verifier: { kind: 'greedy' }, sampling: GREEDY, maxNodes: 64, allowLossy: false, engine: {} });
    const prompts = readWorkload('retell').slice(0, 6);
    const requests = prompts.map((p, i) => ({ prompt: run.tokenizer.encode(p.prompt, { bos: true }), rng: createRng(i), references: referenceTokens(run.tokenizer, p) }));
    const { outputs, records } = await decodeSpeculative(run.target, run.speculator, createVerifier('greedy'), requests, {
      maxTokens: 48,
      stopTokens: STOP,
      sampling: GREEDY,
      maxNodes: 64,
    });
    await run.dispose();
    const tokens = outputs.map((o) => o.tokens);
    expected?.forEach((e, i) => expect(firstDivergence(tokens[i], e), `prompt ${i}`).to.equal(null));
    return { tps: summarize(records).tokensPerStep, outputs: tokens };
  }

  it('more tokens/step than suffix (which has no corpus); the same tokens as incremental decoding', async () => {
    const baseline = await tokensPerStep(speculatorConfig('none'));
    const suffix = await tokensPerStep(speculatorConfig('suffix'), baseline.outputs);
    const refsOnly = await tokensPerStep(speculatorConfig('retrieval'), baseline.outputs);
    const withCorpus = await tokensPerStep(speculatorConfig('retrieval', { corpus: STORIES }), baseline.outputs);
    expect(withCorpus.tps, `retrieval ${withCorpus.tps} (references only ${refsOnly.tps}) vs suffix ${suffix.tps}`).to.be.above(suffix.tps * 1.2);
    expect(refsOnly.tps, 'the references alone help').to.be.above(1.2);
  });
});
