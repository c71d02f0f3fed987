import { expect } from 'chai';
import { QuantStore } from '../../../src/model/formats/quant-store.js';
import { quantize, type QuantMatrix } from '../../../src/model/formats/quant.js';
import { loadModelAs } from '../../../src/model/models.js';
import { LAYER_MATRICES } from '../../../src/model/weights.js';
import { useTestModelsDir } from '../../support/models-dir.js';

/** Whether `m.data` is read on access (a getter) rather than held. */
function isLazy(m: QuantMatrix): boolean {
  return Object.getOwnPropertyDescriptor(m, 'data')?.get !== undefined;
}

describe('QuantStore (quantized matrices kept in a temporary file)', () => {
  before(() => useTestModelsDir());

  it('gives back every matrix byte for byte, each from its own place in the file, on every access', () => {
    const store = new QuantStore();
    const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 0.37));
    const made = [quantize('q8_0', values(64 * 3, 1), 3, 64), quantize('q4_0', values(32 * 5, 2), 5, 32), quantize('q8_0', values(32, 3), 1, 32)];
    const kept = made.map((m) => store.keep(m));
    kept.forEach((k, i) => {
      expect(isLazy(k), `matrix ${i}`).to.equal(true);
      expect([k.type, k.rows, k.cols]).to.deep.equal([made[i].type, made[i].rows, made[i].cols]);
      expect(Buffer.from(k.data).equals(Buffer.from(made[i].data)), `matrix ${i}`).to.equal(true);
      expect(k.data).to.not.equal(k.data); // a fresh array per access
    });
  });

  it('loadModelAs(.., q4_0) keeps the matrices it quantizes in a store: the same blocks as quantizing in memory', async () => {
    const [kept, f32] = [await loadModelAs('stories260K', 'q4_0'), await loadModelAs('stories260K')];
    kept.weights.layers.forEach((l, i) => {
      for (const f of LAYER_MATRICES) {
        const [m, src] = [l[f], f32.weights.layers[i][f] as Float32Array];
        if (m instanceof Float32Array || m.type === 'f32') continue; // rows of 172 weights: not quantized
        expect(isLazy(m), `layer ${i} ${f}`).to.equal(true);
        expect(Buffer.from(m.data).equals(Buffer.from(quantize('q4_0', src, m.rows, m.cols).data)), `layer ${i} ${f}`).to.equal(true);
      }
    });
  });
});
