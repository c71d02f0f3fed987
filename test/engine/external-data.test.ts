import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { floatTensor, int64Tensor, OrtSession } from '../../src/engine/ort.js';
import { buildLlamaGraph, buildLlamaModel, GRAPH_IO, spillLlamaModel } from '../../src/model/graph/llama-graph.js';
import { SpillFile } from '../../src/model/graph/spill.js';
import { GraphBuilder } from '../../src/model/graph/onnx-graph.js';
import { loadModelAs } from '../../src/model/models.js';
import { headDim, type ModelWeights } from '../../src/model/weights.js';
import { useTestModelsDir } from '../support/models-dir.js';

const { onnx } = onnxProto;

/** Feeds of a 3-token chain forward with an empty past. */
function chainFeeds(w: ModelWeights): Record<string, ReturnType<typeof floatTensor>> {
  const c = w.config;
  const empty = () => floatTensor(new Float32Array(0), [1, c.nKvHeads, 0, headDim(c)]);
  const feeds: Record<string, ReturnType<typeof floatTensor>> = {
    [GRAPH_IO.inputIds]: int64Tensor(BigInt64Array.from([1n, 400n, 37n]), [1, 3]),
    [GRAPH_IO.positionIds]: int64Tensor(BigInt64Array.from([0n, 1n, 2n]), [1, 3]),
    [GRAPH_IO.attentionBias]: floatTensor(Float32Array.from([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]), [1, 1, 3, 3]),
  };
  for (let l = 0; l < c.nLayers; l++) [feeds[GRAPH_IO.pastKey(l)], feeds[GRAPH_IO.pastValue(l)]] = [empty(), empty()];
  return feeds;
}

async function logits(s: OrtSession, w: ModelWeights): Promise<Float32Array> {
  return (await s.run(chainFeeds(w)))[GRAPH_IO.logits].data as Float32Array;
}

describe('GraphBuilder.toModel: initializers as in-memory external data', () => {
  it('moves initializers of at least the threshold out of the model, each its own file of its own bytes', () => {
    const g = new GraphBuilder('t');
    const big = Float32Array.from([1, 2, 3, 4]); // 16 bytes
    g.weight('big', big, [4]);
    g.weight('small', Float32Array.from([5]), [1]); // 4 bytes
    const m = g.toModel(16);
    expect(m.external.map((f) => f.path)).to.deep.equal(['init_0']);
    expect(m.external[0].data.buffer).to.equal(big.buffer); // no copy
    const proto = onnx.ModelProto.decode(m.bytes);
    const [b, s] = proto.graph!.initializer!;
    expect(b.dataLocation).to.equal(onnx.TensorProto.DataLocation.EXTERNAL);
    expect(b.externalData!.map((e) => [e.key, e.value])).to.deep.equal([
      ['location', 'init_0'],
      ['offset', '0'],
      ['length', '16'],
    ]);
    expect(b.rawData!.length).to.equal(0);
    expect(Array.from(new Float32Array(Uint8Array.from(s.rawData!).buffer))).to.deep.equal([5]);
    expect(Buffer.from(g.toModel(Infinity).bytes).equals(Buffer.from(g.toBytes()))).to.equal(true);
  });
});

describe('sessions from in-memory external data (stories260K)', () => {
  before(() => useTestModelsDir());

  for (const [weights, layout] of [
    ['f32', 'rows'],
    ['f32', 'lanes'],
    ['q8_0', 'rows'],
    ['q4_0', 'rows'],
  ] as const) {
    it(`${weights}, ${layout} layout: the same logits as the inline model, also after the external arrays are overwritten (onnxruntime copied them)`, async () => {
      const w = (await loadModelAs('stories260K', weights)).weights;
      const inline = await OrtSession.create(buildLlamaGraph(w, { layout }));
      const model = buildLlamaModel(w, { layout }, 64);
      expect(model.external.length).to.be.greaterThan(20);
      const external = await OrtSession.create(model);
      for (const f of model.external) f.data.fill(0x7f);
      const [a, b] = [await logits(inline, w), await logits(external, w)];
      expect(b.length).to.equal(3 * w.config.vocabSize);
      expect(Array.from(b)).to.deep.equal(Array.from(a));
      await inline.dispose();
      await external.dispose();
    });
  }
});

describe('GraphBuilder with a sink: initializers written to an external-data file as they are added', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'spill-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes initializers of at least minBytes at page-aligned offsets; the model refers to them there and keeps the small ones', () => {
    const sink = new SpillFile(dir, 'w.bin', 16);
    const g = new GraphBuilder('t', undefined, sink);
    g.weight('a', Float32Array.from([1, 2, 3, 4]), [4]); // 16 bytes: spilled at 0
    g.weight('small', Float32Array.from([5]), [1]); // 4 bytes: inline
    g.bytes(
      'b',
      Uint8Array.from({ length: 20 }, (_, i) => i),
      [20],
    ); // spilled at 4096
    sink.close();
    const file = readFileSync(path.join(dir, 'w.bin'));
    expect(file.length).to.equal(4096 + 20);
    expect(Array.from(new Float32Array(file.buffer, file.byteOffset, 4))).to.deep.equal([1, 2, 3, 4]);
    expect(Array.from(file.subarray(4096))).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    const m = g.toModel(1); // already spilled initializers stay in the sink's file
    expect(m.external.map((f) => f.path)).to.deep.equal(['init_0']); // only 'small' moves to memory
    const [a, small, b] = onnx.ModelProto.decode(m.bytes).graph!.initializer!;
    const where = (t: onnxProto.onnx.ITensorProto) => t.externalData!.map((e) => e.value);
    expect([where(a), where(small), where(b)]).to.deep.equal([
      ['w.bin', '0', '16'],
      ['init_0', '0', '4'],
      ['w.bin', '4096', '20'],
    ]);
  });

  before(() => useTestModelsDir());
  for (const weights of ['f32', 'q4_0'] as const) {
    it(`stories260K ${weights}: a session of the spilled model file gives the inline model's logits`, async () => {
      const w = (await loadModelAs('stories260K', weights)).weights;
      const sink = new SpillFile(dir, 'weights.bin', 64);
      const bytes = spillLlamaModel(w, {}, sink);
      sink.close();
      writeFileSync(path.join(dir, 'model.onnx'), bytes);
      expect(bytes.length).to.be.lessThan(64 * 1024); // the weights are in the file, not in the model
      const inline = await OrtSession.create(buildLlamaGraph(w));
      const spilled = await OrtSession.create({ path: path.join(dir, 'model.onnx') });
      expect(Array.from(await logits(spilled, w))).to.deep.equal(Array.from(await logits(inline, w)));
      await inline.dispose();
      await spilled.dispose();
    });
  }
});
