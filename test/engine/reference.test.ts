import { expect } from 'chai';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Model } from '../../src/core/model.js';
import { generateIncremental } from '../../src/decode/incremental.js';
import { EngineModel } from '../../src/engine/model.js';
import { writeHfFolder } from '../../src/model/formats/hf-writer.js';
import { loadModel } from '../../src/model/models.js';
import { readLlama2cVocab } from '../../src/model/formats/llama2c-vocab.js';
import { engineModel } from '../support/engine-models.js';
import { modelFile } from '../support/models-dir.js';
import { referenceFixturePath, type ReferenceCase } from '../support/make-reference-fixtures.js';
import { maxAbsDiff, randomTree } from '../support/random-tree.js';
import { createRng } from '../../src/core/rng.js';

describe('engine greedy decoding equals the plain-loop reference (fixture)', () => {
  const cases = JSON.parse(readFileSync(referenceFixturePath(), 'utf8')) as ReferenceCase[];
  let model: Model;
  before(async () => (model = await engineModel('stories260K')));
  after(async () => model.dispose());

  it('the fixture holds 5 prompts x 128 tokens', () => {
    expect(cases).to.have.length(5);
    for (const c of cases) expect(c.tokens).to.have.length(128);
  });

  for (const [i, c] of cases.entries()) {
    it(`prompt ${i + 1}: "${c.prompt}"`, async () => {
      const out = await generateIncremental(model, Int32Array.from(c.promptTokens), { maxTokens: 128, stopTokens: [1] });
      const got = Array.from(out.tokens);
      const diverge = got.findIndex((t, k) => t !== c.tokens[k]);
      expect(diverge, `first diverging position ${diverge}: engine ${got[diverge]} vs reference ${c.tokens[diverge]}`).to.equal(-1);
      expect(got).to.have.length(128);
    });
  }
});

describe('the Hugging Face folder and the llama2.c checkpoint give identical logits', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-hf-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stories260K written as F32 safetensors: same logits on a random tree, bit for bit', async () => {
    const llama2c = await engineModel('stories260K');
    const src = await loadModel(modelFile('stories260K'));
    writeHfFolder(dir, src.weights, readLlama2cVocab(modelFile('stories260K/tok512.bin'), 512));
    const hfLoaded = await loadModel(dir);
    expect(hfLoaded.format).to.equal('hf');
    const hf = await EngineModel.create({ id: 'hf', weights: hfLoaded.weights, bosId: hfLoaded.tokenizer.bosId, eosIds: [hfLoaded.tokenizer.eosId] });
    const prompt = hfLoaded.tokenizer.encode('Once upon a time');
    expect(Array.from(prompt)).to.deep.equal(Array.from(src.tokenizer.encode('Once upon a time')));
    const tree = randomTree(createRng(3), 24, 6, 512);
    const a = await (await llama2c.open(prompt)).score(tree);
    const b = await (await hf.open(prompt)).score(tree);
    for (let r = 0; r < a.rows; r++) expect(maxAbsDiff(a.row(r), b.row(r)), `row ${r}`).to.equal(0);
    const gen = await generateIncremental(hf, prompt, { maxTokens: 32, stopTokens: [1] });
    const ref = await generateIncremental(llama2c, prompt, { maxTokens: 32, stopTokens: [1] });
    expect(Array.from(gen.tokens)).to.deep.equal(Array.from(ref.tokens));
    await hf.dispose();
    await llama2c.dispose();
  });
});
