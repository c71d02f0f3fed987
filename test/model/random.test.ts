import { expect } from 'chai';
import { randomWeights, STORIES110M_CONFIG, TINY_RANDOM_CONFIG } from '../../src/model/random.js';
import { parameterCount, type LlamaConfig, type LlamaWeights } from '../../src/model/weights.js';
import { ConfigError } from '../../src/core/errors.js';
import { ReferenceModel } from '../support/reference.js';

/** Every tensor of `w` with its name, in a fixed order. */
function tensors(w: LlamaWeights): [string, Float32Array][] {
  const out: [string, Float32Array][] = [
    ['tokenEmbedding', w.tokenEmbedding],
    ['finalNorm', w.finalNorm],
  ];
  w.layers.forEach((l, i) => {
    for (const [k, v] of Object.entries(l)) out.push([`layers.${i}.${k}`, v as Float32Array]);
  });
  return out;
}

function expectShapes(w: LlamaWeights, c: LlamaConfig): void {
  const hd = c.dim / c.nHeads;
  expect(w.config).to.equal(c);
  expect(w.tokenEmbedding.length).to.equal(c.vocabSize * c.dim);
  expect(w.classifier).to.equal(w.tokenEmbedding); // tied
  expect(w.finalNorm.length).to.equal(c.dim);
  expect(w.layers.length).to.equal(c.nLayers);
  for (const l of w.layers) {
    expect([l.attnNorm.length, l.ffnNorm.length]).to.deep.equal([c.dim, c.dim]);
    expect([l.wq.length, l.wk.length, l.wv.length, l.wo.length]).to.deep.equal([c.nHeads * hd * c.dim, c.nKvHeads * hd * c.dim, c.nKvHeads * hd * c.dim, c.dim * c.nHeads * hd]);
    expect([l.w1.length, l.w2.length, l.w3.length]).to.deep.equal([c.hiddenDim * c.dim, c.dim * c.hiddenDim, c.hiddenDim * c.dim]);
  }
}

describe('randomWeights', () => {
  it('has the shapes of the config (tiny preset)', () => {
    expectShapes(randomWeights(TINY_RANDOM_CONFIG, 0), TINY_RANDOM_CONFIG);
  });

  it('is a pure function of the seed: same seed identical, other seed different in every tensor', () => {
    const a = tensors(randomWeights(TINY_RANDOM_CONFIG, 1));
    const b = tensors(randomWeights(TINY_RANDOM_CONFIG, 1));
    const c = tensors(randomWeights(TINY_RANDOM_CONFIG, 2));
    a.forEach(([name, t], i) => {
      expect(Buffer.from(t.buffer).equals(Buffer.from(b[i][1].buffer)), name).to.equal(true);
      expect(Buffer.from(t.buffer).equals(Buffer.from(c[i][1].buffer)), name).to.equal(false);
    });
    // Tensors are not copies of one another (each has its own stream).
    expect(Array.from(a[2][1].subarray(0, 8))).to.not.deep.equal(Array.from(a[3][1].subarray(0, 8)));
  });

  it('keeps values in range: matrices within 1/sqrt(fan_in), norms 1 +- 0.05', () => {
    const c = TINY_RANDOM_CONFIG;
    const w = randomWeights(c, 3);
    const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (const l of w.layers) {
      expect(maxAbs(l.wq)).to.be.at.most(1 / Math.sqrt(c.dim) + 1e-6);
      expect(maxAbs(l.w2)).to.be.at.most(1 / Math.sqrt(c.hiddenDim) + 1e-6);
      expect(maxAbs(l.w2)).to.be.greaterThan(0.9 / Math.sqrt(c.hiddenDim));
      for (const v of l.attnNorm) expect(v).to.be.within(0.95 - 1e-6, 1.05 + 1e-6);
    }
  });

  it('gives sane activations: finite, non-degenerate logits from the reference forward', () => {
    const m = new ReferenceModel(randomWeights(TINY_RANDOM_CONFIG, 4));
    for (let pos = 0; pos < 20; pos++) {
      const logits = m.forward((pos * 37) % TINY_RANDOM_CONFIG.vocabSize, pos);
      const mean = logits.reduce((s, v) => s + v, 0) / logits.length;
      const sd = Math.sqrt(logits.reduce((s, v) => s + (v - mean) ** 2, 0) / logits.length);
      expect(Number.isFinite(sd)).to.equal(true);
      expect(sd).to.be.within(0.3, 10);
    }
  });

  it('generates stories110M-sized weights with the right parameter count', function () {
    this.timeout(60_000);
    const w = randomWeights(STORIES110M_CONFIG, 0);
    expectShapes(w, STORIES110M_CONFIG);
    // 32000*768 + 12*(2*768 + 4*768*768 + 3*768*2048) + 768
    expect(parameterCount(w)).to.equal(109_529_856);
  });

  it('rejects inconsistent configs', () => {
    expect(() => randomWeights({ ...TINY_RANDOM_CONFIG, nKvHeads: 3 }, 0)).to.throw(ConfigError, /nKvHeads 3/);
    expect(() => randomWeights({ ...TINY_RANDOM_CONFIG, dim: 0 }, 0)).to.throw(ConfigError, /dim must be a positive integer/);
  });
});
