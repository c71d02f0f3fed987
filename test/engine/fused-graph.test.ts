import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import type { Model } from '../../src/core/model.js';
import { buildLlamaGraph } from '../../src/model/graph/llama-graph.js';
import { ropeRows } from '../../src/model/graph/llama-graph-fused.js';
import { loadModel } from '../../src/model/models.js';
import { EMPTY_TREE } from '../../src/tree/tree.js';
import { type TreeShape } from '../../src/core/tree-shape.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { maxAbsDiff, randomTree } from '../support/random-tree.js';

const TOL = 1e-4;
const PROMPTS = [Int32Array.from([1, 203, 261, 297, 1, 50]), Int32Array.from([1, 7, 9]), Int32Array.from([1])];

/** Every row of every request's tree forward, batched. */
async function batchRows(model: Model, trees: readonly TreeShape[]): Promise<Float32Array[][]> {
  const seqs = await Promise.all(PROMPTS.slice(0, trees.length).map((p) => model.open(p)));
  const logits = await model.scoreBatch(seqs, trees);
  return logits.map((l) => Array.from({ length: l.rows }, (_, r) => l.row(r).slice()));
}

// The fused graph (onnxruntime's Attention/RotaryEmbedding/RMSNormalization kernels)
// against the reference graph of plain ONNX primitives, on the same inputs: in the rows
// layout, in the lanes layout, and with both (forwards of >= 8 rows in lanes, as large models run).
const LAYOUT_CASES = [
  ['rows layout', Infinity],
  ['lanes layout', 1],
  ['both layouts, lanes from 8 rows', 8],
] as const;
for (const ref of ['stories260K', 'random:tiny:3'])
  for (const [layouts, lanesFromRows] of LAYOUT_CASES) {
    describe(`fused graph equals the reference graph (${ref}, ${layouts})`, () => {
      const models: Record<'fused' | 'reference', Model | undefined> = { fused: undefined, reference: undefined };
      before(async () => {
        models.fused = await engineModel(ref, { graph: 'fused', lanesFromRows });
        models.reference = await engineModel(ref, { graph: 'reference' });
      });
      after(async () => {
        await models.fused?.dispose();
        await models.reference?.dispose();
      });

      for (const [seed, nodes] of [
        [1, 0],
        [2, 7],
        [3, 31],
        [4, 63],
      ]) {
        it(`a batch of ${PROMPTS.length} random trees (seed ${seed}, up to ${nodes} nodes, padded)`, async () => {
          const vocab = models.fused!.info.vocabSize;
          const trees = PROMPTS.map((_, b) => (nodes === 0 ? EMPTY_TREE : randomTree(createRng(seed * 10 + b), nodes - 3 * b, 8, vocab)));
          const fused = await batchRows(models.fused!, trees);
          const reference = await batchRows(models.reference!, trees);
          fused.forEach((rows, b) => rows.forEach((row, r) => expect(maxAbsDiff(row, reference[b][r]), `request ${b} row ${r}`).to.be.at.most(TOL)));
        });
      }

      it('a tree wider than the context (more rows than cached positions)', async () => {
        const vocab = models.fused!.info.vocabSize;
        const width = models.fused!.info.maxContext + 3;
        const star: TreeShape = { tokens: Int32Array.from({ length: width }, (_, i) => i % vocab), parents: new Int32Array(width).fill(-1) };
        const [[fused], [reference]] = [await batchRows(models.fused!, [star]), await batchRows(models.reference!, [star])];
        expect(fused).to.have.length(width + 1);
        fused.forEach((row, r) => expect(maxAbsDiff(row, reference[r]), `row ${r}`).to.be.at.most(TOL));
      });
    });
  }

describe('rows per request of a fused forward', () => {
  it('a tree of more rows than the RoPE cache (ropeRows) is refused with the bound, one row fewer runs', async () => {
    useTestModelsDir();
    const { weights } = await loadModel('random:tiny:3');
    const limit = ropeRows(weights.config);
    expect(limit).to.be.greaterThan(weights.config.maxSeqLen);
    const model = await engineModel('random:tiny:3', { graph: 'fused' });
    try {
      const star = (width: number): TreeShape => ({ tokens: new Int32Array(width).fill(1), parents: new Int32Array(width).fill(-1) });
      const seq = await model.open(Int32Array.from([1]));
      let message = '';
      await seq.score(star(limit)).catch((e: Error) => (message = e.message));
      expect(message).to.contain(`a tree of ${limit + 1} rows (root included) exceeds the ${limit} rows`);
      expect((await seq.score(star(limit - 1))).rows).to.equal(limit);
    } finally {
      await model.dispose();
    }
  });
});

describe('graph kinds', () => {
  it('build different ONNX graphs for the same weights (fused is the default)', async () => {
    useTestModelsDir();
    const { weights } = await loadModel('random:tiny:1');
    const fused = buildLlamaGraph(weights);
    expect(Buffer.from(fused).equals(Buffer.from(buildLlamaGraph(weights, { graph: 'fused' })))).to.equal(true);
    expect(Buffer.from(fused).equals(Buffer.from(buildLlamaGraph(weights, { graph: 'reference' })))).to.equal(false);
    expect(Buffer.from(fused).equals(Buffer.from(buildLlamaGraph(weights, { layout: 'rows' })))).to.equal(true);
    expect(Buffer.from(fused).equals(Buffer.from(buildLlamaGraph(weights, { layout: 'lanes' })))).to.equal(false);
  });
});
