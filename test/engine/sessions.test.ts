import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultLanesFromRows, ForwardSessions, LANES_MIN_ROWS, LANES_MIN_WEIGHT_BYTES } from '../../src/engine/sessions.js';
import { loadModel } from '../../src/model/models.js';
import type { LlamaWeights } from '../../src/model/weights.js';
import { useTestModelsDir } from '../support/models-dir.js';

describe('forward sessions (rows and lanes layouts)', () => {
  let weights: LlamaWeights;
  before(async () => {
    useTestModelsDir();
    weights = (await loadModel('stories260K')).weights;
  });

  it('a model whose weights fit in cache gets the rows layout only; one that streams from memory also lanes from 8 rows', () => {
    expect(defaultLanesFromRows(weights, weights.config.nLayers)).to.equal(Infinity);
    // The same model with one matrix as large as the threshold (only lengths are read).
    const big = new Float32Array(LANES_MIN_WEIGHT_BYTES / 4);
    const inflated: LlamaWeights = { ...weights, layers: [{ ...weights.layers[0], w1: big }, ...weights.layers.slice(1)] };
    expect(defaultLanesFromRows(inflated, weights.config.nLayers)).to.equal(LANES_MIN_ROWS);
    // A layer-skip draft of it that leaves the large layer out stays small.
    const skipFirst: LlamaWeights = { ...inflated, layers: [...inflated.layers.slice(1), inflated.layers[0]] };
    expect(defaultLanesFromRows(skipFirst, weights.config.nLayers - 1)).to.equal(Infinity);
  });

  it('reads the weights through a temporary external-data folder and removes it once the sessions exist', async () => {
    const folders = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith('specinfer-graph-'));
    const before = folders();
    const both = await ForwardSessions.create(weights, weights.config.nLayers, { lanesFromRows: 8 });
    expect(folders()).to.deep.equal(before);
    await both.dispose();
  });

  it('refuses a lanesFromRows that is no row count', async () => {
    for (const bad of [0, -3, NaN]) {
      let message = '';
      await ForwardSessions.create(weights, weights.config.nLayers, { lanesFromRows: bad }).catch((e: Error) => (message = e.message));
      expect(message, String(bad)).to.match(/lanesFromRows must be a row count >= 1/);
    }
  });

  it('picks the lanes session from lanesFromRows rows on, the rows session below', async () => {
    const layers = weights.config.nLayers;
    const both = await ForwardSessions.create(weights, layers, { lanesFromRows: 8 });
    const lanesOnly = await ForwardSessions.create(weights, layers, { lanesFromRows: 1 });
    const rowsOnly = await ForwardSessions.create(weights, layers, {});
    const reference = await ForwardSessions.create(weights, layers, { graph: 'reference', lanesFromRows: 8 });
    try {
      expect(both.pick(7)).to.not.equal(both.pick(8));
      expect(both.pick(1)).to.equal(both.pick(7));
      expect(both.pick(8)).to.equal(both.pick(1000));
      expect(lanesOnly.pick(1)).to.equal(lanesOnly.pick(1000));
      expect(rowsOnly.pick(1)).to.equal(rowsOnly.pick(1000));
      expect(reference.pick(1), 'the reference graph has one layout').to.equal(reference.pick(1000));
    } finally {
      for (const s of [both, lanesOnly, rowsOnly, reference]) await s.dispose();
    }
  });

  it("dumps each layout's graph: the rows graph to the path, the lanes graph beside it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-dump-'));
    try {
      const sessions = await ForwardSessions.create(weights, weights.config.nLayers, { lanesFromRows: 8, dumpOnnxPath: path.join(dir, 'graph.onnx') });
      await sessions.dispose();
      expect(existsSync(path.join(dir, 'graph.onnx'))).to.equal(true);
      expect(existsSync(path.join(dir, 'graph.lanes.onnx'))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
