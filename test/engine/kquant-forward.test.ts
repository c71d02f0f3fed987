import { expect } from 'chai';
import path from 'node:path';
import { createRng } from '../../src/core/rng.js';
import type { Model } from '../../src/core/model.js';
import { EngineModel } from '../../src/engine/model.js';
import { readGgufModel } from '../../src/model/formats/gguf.js';
import type { NBitsAccuracy } from '../../src/model/graph/quant-nbits.js';
import { dequantizeWeights, type ModelWeights } from '../../src/model/weights.js';
import { EMPTY_TREE } from '../../src/tree/tree.js';
import { KQUANT_FIXTURE, kquantFixtureFile } from '../support/make-kquant-fixture.js';
import { maxAbsDiff, randomTree } from '../support/random-tree.js';

const PROMPTS = [Int32Array.from([1, 203, 261, 297, 1, 50]), Int32Array.from([1, 7, 9])];

/**
 * Largest |logit difference| between the fused graph (MatMulNBits, Q4_K / Q5_K minima by block
 * sums) and the float reference graph on the same weights dequantized, over these trees.
 * kquant.gguf (one layer of seeded random Q4_K, Q5_K, Q6_K, Q5_0, Q8_0 blocks; logits up to |38|):
 * measured 2.6e-4 at accuracy_level 0 (float32 rounding), 2.18 at level 4 (int8 activations); that
 * random model is this sensitive to int8 activations whatever the block type (the same weights as
 * Q8_0 gave 2.54, as Q4_0 2.37, one-off check). llama-q4_k_m.gguf (llama-quantize's Q4_K_M of a
 * random model; logits up to |28|): 1.1e-5 at level 0, 0.145 at level 4.
 */
const TOL: Record<NBitsAccuracy, number> = { 0: 1e-3, 4: 3 };
const MAX_LOGIT = 50;

function engine(weights: ModelWeights, opts: { quantAccuracy?: NBitsAccuracy; graph?: 'reference' }): Promise<EngineModel> {
  return EngineModel.create({ id: 'kquant-fixture', weights, bosId: 1, eosIds: [2] }, opts);
}

async function rows(model: Model, seed: number): Promise<Float32Array[]> {
  const trees = PROMPTS.map((_, b) => (seed === 0 ? EMPTY_TREE : randomTree(createRng(seed * 10 + b), 12 - 4 * b, 8, model.info.vocabSize)));
  const seqs = await Promise.all(PROMPTS.map((p) => model.open(p)));
  const logits = await model.scoreBatch(seqs, trees);
  return logits.flatMap((l) => Array.from({ length: l.rows }, (_, r) => l.row(r).slice()));
}

for (const file of ['kquant.gguf', 'llama-q4_k_m.gguf'])
  for (const accuracy of [0, 4] as const) {
    describe(`K-quant forward (${file}, accuracy_level ${accuracy}) against float math on the dequantized weights`, () => {
      const models: { quant?: Model; float?: Model } = {};
      before(async () => {
        const w = readGgufModel(file === 'kquant.gguf' ? kquantFixtureFile() : path.join(KQUANT_FIXTURE, file)).weights;
        models.quant = await engine(w, { quantAccuracy: accuracy });
        models.float = await engine(dequantizeWeights(w), { graph: 'reference' });
      });
      after(async () => {
        await models.quant?.dispose();
        await models.float?.dispose();
      });

      for (const seed of [0, 1, 2]) {
        it(`trees of seed ${seed}: largest logit difference <= ${TOL[accuracy]}`, async () => {
          const [q, f] = [await rows(models.quant!, seed), await rows(models.float!, seed)];
          const diff = Math.max(...q.map((row, i) => maxAbsDiff(row, f[i])));
          const size = Math.max(...f.map((row) => row.reduce((a, v) => Math.max(a, Math.abs(v)), 0)));
          expect(size).to.be.within(1, MAX_LOGIT);
          expect(diff).to.be.at.most(TOL[accuracy]);
        });
      }
    });
  }
