import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { generateIncremental } from '../../src/decode/incremental.js';
import { EngineModel } from '../../src/engine/model.js';
import { writeHfFolder } from '../../src/model/formats/hf-writer.js';
import { defaultKvHeads, inflateWeights, placeHeads, type InflateShape } from '../../src/model/inflate.js';
import { loadModel, modelVocab, type LoadedModel } from '../../src/model/models.js';
import { randomWeights, TINY_RANDOM_CONFIG } from '../../src/model/random.js';
import { parameterCount, type LlamaWeights } from '../../src/model/weights.js';
import { modelFile } from '../support/models-dir.js';
import { maxAbsDiff, randomTree } from '../support/random-tree.js';
import { ReferenceModel } from '../support/reference.js';

function engine(m: LoadedModel): Promise<EngineModel> {
  return EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] });
}

/** Largest logit difference of two models (plain-loop reference forward) over a token sequence. */
function referenceDiff(a: LlamaWeights, b: LlamaWeights, tokens: number[]): number {
  const [ra, rb] = [new ReferenceModel(a), new ReferenceModel(b)];
  let worst = 0;
  tokens.forEach((t, pos) => (worst = Math.max(worst, maxAbsDiff(ra.forward(t, pos), rb.forward(t, pos)))));
  return worst;
}

describe('function-preserving inflation', () => {
  describe('on a random tiny model (dim 32, 4 heads / 2 kv heads, head dim 8), against the reference forward', () => {
    const small = randomWeights(TINY_RANDOM_CONFIG, 9);
    const tokens = [1, 40, 77, 201, 5, 299, 120, 64, 64, 3, 18, 250];
    const shapes: [string, InflateShape][] = [
      ['group size kept (2)', { dim: 64, hiddenDim: 100, nLayers: 4, nHeads: 8, nKvHeads: 4 }],
      ['multi-head (group 1: kv heads copied)', { dim: 48, hiddenDim: 64, nLayers: 2, nHeads: 6, nKvHeads: 6 }],
      ['group 4 (half the query slots unused)', { dim: 64, hiddenDim: 64, nLayers: 3, nHeads: 8, nKvHeads: 2 }],
      ['group 3 (does not divide the source group of 2)', { dim: 96, hiddenDim: 80, nLayers: 2, nHeads: 12, nKvHeads: 4 }],
      ['same shape (only the norms are untouched, scale 1)', { dim: 32, hiddenDim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2 }],
    ];
    for (const fill of ['random', 'zero'] as const) {
      for (const [what, shape] of shapes) {
        it(`${fill} fill, ${what}: logits equal within 1e-5`, () => {
          const big = inflateWeights(small, shape, { fill });
          expect(big.config).to.deep.include({ ...shape, vocabSize: 300, maxSeqLen: 256, ropeTheta: 10000 });
          expect(big.config.normEps).to.be.closeTo((1e-5 * 32) / shape.dim, 1e-20);
          expect(big.classifier).to.equal(big.tokenEmbedding);
          expect(referenceDiff(small, big, tokens)).to.be.below(1e-5);
        });
      }
    }

    it('without the epsilon scaling the functions differ (the scaling is needed)', () => {
      const big = inflateWeights(small, shapes[0][1]);
      const wrongEps = { ...big, config: { ...big.config, normEps: 1e-5 } };
      expect(referenceDiff(small, wrongEps, tokens)).to.be.above(1e-4);
    });

    it('random fill is dense (few zeros) and seeded; zero fill is plain zero padding', () => {
      const shape = { dim: 128, hiddenDim: 256, nLayers: 4, nHeads: 16, nKvHeads: 8 };
      const dense = inflateWeights(small, shape);
      const zeros = (a: Float32Array): number => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0) / a.length;
      for (const [l, layer] of dense.layers.entries()) {
        for (const [k, a] of Object.entries(layer)) expect(zeros(a as Float32Array), `layer ${l} ${k}`).to.be.below(0.3);
      }
      const again = inflateWeights(small, shape, { seed: 0 });
      expect(again.layers[3].w3).to.deep.equal(dense.layers[3].w3);
      expect(inflateWeights(small, shape, { seed: 1 }).layers[3].w3).to.not.deep.equal(dense.layers[3].w3);
      const sparse = inflateWeights(small, shape, { fill: 'zero' });
      expect(zeros(sparse.layers[1].w1)).to.be.closeTo(1 - (64 * 32) / (256 * 128), 1e-9);
      for (const a of Object.values(sparse.layers[3])) expect((a as Float32Array).every((v) => v === 0)).to.equal(true);
    });

    it('places source heads so that each keeps its kv head', () => {
      const s = TINY_RANDOM_CONFIG; // 4 heads, 2 kv heads: head h uses kv head h >> 1
      const check = (t: InflateShape): void => {
        const { qHead, kvSource } = placeHeads(s, t);
        const g = t.nHeads / t.nKvHeads;
        expect(new Set(qHead).size, 'distinct big heads').to.equal(s.nHeads);
        qHead.forEach((q, h) => expect(kvSource[Math.floor(q / g)], `head ${h}`).to.equal(Math.floor(h / 2)));
      };
      expect([...placeHeads(s, shapes[0][1]).qHead]).to.deep.equal([0, 1, 2, 3]);
      expect([...placeHeads(s, shapes[1][1]).kvSource]).to.deep.equal([0, 0, 1, 1, -1, -1]);
      for (const [, t] of shapes) check(t);
    });

    it('an untied classifier is padded too; embedding columns of the extra coordinates are zero', () => {
      const untied: LlamaWeights = { ...small, classifier: small.tokenEmbedding.map((v) => v / 2) };
      const big = inflateWeights(untied, shapes[0][1]);
      expect(big.classifier).to.not.equal(big.tokenEmbedding);
      expect(
        big.tokenEmbedding.subarray(64 + 32, 128).every((v) => v === 0),
        'padded embedding columns',
      ).to.equal(true);
      expect(big.classifier[64 + 5]).to.equal(small.tokenEmbedding[32 + 5] / 2);
      expect(referenceDiff(untied, big, tokens)).to.be.below(1e-5);
    });

    it('refuses shapes it cannot fill (ConfigError)', () => {
      const t = shapes[0][1];
      expect(() => inflateWeights(small, { ...t, dim: 16, nHeads: 2, nKvHeads: 1 })).to.throw(ConfigError, /dim 16 is smaller/);
      expect(() => inflateWeights(small, { ...t, hiddenDim: 10 })).to.throw(ConfigError, /hidden 10 is smaller/);
      expect(() => inflateWeights(small, { ...t, nLayers: 1 })).to.throw(ConfigError, /layers 1 is fewer/);
      expect(() => inflateWeights(small, { ...t, nHeads: 4, nKvHeads: 2 })).to.throw(ConfigError, /must equal the source's head dimension 8/);
      expect(() => inflateWeights(small, { ...t, nKvHeads: 3 })).to.throw(ConfigError, /not a multiple of kv heads 3/);
      expect(() => inflateWeights(small, { ...t, nKvHeads: 1 })).to.throw(ConfigError, /cannot host the source's 2 kv heads/);
      expect(() => defaultKvHeads(TINY_RANDOM_CONFIG, 7)).to.throw(ConfigError, /not a multiple of the source's group size 2/);
      expect(defaultKvHeads(TINY_RANDOM_CONFIG, 96)).to.equal(48);
    });
  });

  describe('stories260K -> dim 128, hidden 344, 7 layers, 16 heads / 8 kv heads, as a Hugging Face folder', () => {
    let tmp: string;
    let small: LoadedModel;
    let big: LoadedModel;
    before(async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-inflate-'));
      small = await loadModel(modelFile('stories260K'));
      const w = inflateWeights(small.weights, { dim: 128, hiddenDim: 344, nLayers: 7, nHeads: 16, nKvHeads: 8 });
      writeHfFolder(tmp, w, modelVocab(small));
      big = await loadModel(tmp);
    });
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it('is a bigger model with the scaled epsilon in config.json', () => {
      expect(big.format).to.equal('hf');
      expect(big.weights.config).to.deep.include({ dim: 128, hiddenDim: 344, nLayers: 7, nHeads: 16, nKvHeads: 8, vocabSize: 512 });
      expect((JSON.parse(readFileSync(path.join(tmp, 'config.json'), 'utf8')) as { rms_norm_eps: number }).rms_norm_eps).to.equal((1e-5 * 64) / 128);
      expect(parameterCount(big.weights)).to.be.greaterThan(4 * parameterCount(small.weights));
    });

    it('logits equal the original within 1e-4 on a random tree, and greedy text is identical (64 tokens, 2 prompts)', async () => {
      const [a, b] = [await engine(small), await engine(big)];
      for (const [i, text] of ['Once upon a time', 'The little bird was sad because'].entries()) {
        const prompt = small.tokenizer.encode(text);
        expect([...big.tokenizer.encode(text)]).to.deep.equal([...prompt]);
        const tree = randomTree(createRng(20 + i), 32, 8, 512);
        const la = await (await a.open(prompt)).score(tree);
        const lb = await (await b.open(prompt)).score(tree);
        for (let r = 0; r < la.rows; r++) expect(maxAbsDiff(la.row(r), lb.row(r)), `row ${r}`).to.be.below(1e-4);
        const ga = await generateIncremental(a, prompt, { maxTokens: 64, stopTokens: [1] });
        const gb = await generateIncremental(b, prompt, { maxTokens: 64, stopTokens: [1] });
        expect(ga.tokens.length).to.equal(64);
        expect([...gb.tokens]).to.deep.equal([...ga.tokens]);
      }
      await a.dispose();
      await b.dispose();
    });
  });
});
