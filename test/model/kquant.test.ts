import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelFileError } from '../../src/core/errors.js';
import { floatData, floatTensor, OrtSession } from '../../src/engine/ort.js';
import { readGgufModel } from '../../src/model/formats/gguf.js';
import { writeGguf } from '../../src/model/formats/gguf-writer.js';
import { byteLevelVocab } from '../../src/model/formats/llama2c-tokenizer.js';
import { GraphBuilder } from '../../src/model/graph/onnx-graph.js';
import { BLOCK_LAYOUTS, decodeBlocks, type BlockType } from '../../src/model/formats/quant-blocks.js';
import { nbitsWeight } from '../../src/model/graph/quant-nbits.js';
import { dequantize, type QuantMatrix } from '../../src/model/formats/quant.js';
import { randomWeights, TINY_RANDOM_CONFIG } from '../../src/model/random.js';
import { weightsType, type LayerWeights, type Matrix, type ModelWeights } from '../../src/model/weights.js';
import { fuzzParams, TempDir } from '../support/fuzz.js';
import { matmulT } from '../support/matmul.js';
import { encodeK, encodeQ5_0, encodeQ6K, lcg, randomBlock } from '../support/kquant-encode.js';
import { KQUANT_FIXTURE, KQUANT_TYPES, kquantFixtureFile, LLAMA_FIXTURE_CONFIG, LLAMA_FIXTURE_SEED } from '../support/make-kquant-fixture.js';

const matrix = (type: BlockType, data: Uint8Array, rows = 1): QuantMatrix => ({
  type,
  rows,
  cols: (data.length / rows / BLOCK_LAYOUTS[type].bytes) * BLOCK_LAYOUTS[type].weights,
  data,
});

/** A block from literal bytes: `fields` at their byte offsets, the rest zero. */
function rawBlock(bytes: number, fields: Record<number, readonly number[]>): Uint8Array {
  const out = new Uint8Array(bytes);
  for (const [at, v] of Object.entries(fields)) out.set(v, Number(at));
  return out;
}

describe('K-quant blocks dequantized as ggml does (hand-computed from raw bytes)', () => {
  it('Q4_K: d 1, dmin 0.5, 6-bit scales and mins packed in 12 bytes, sub-blocks 2i / 2i + 1 in low / high nibbles', () => {
    // scales[12] = 129 2 3 4 | 192 1 2 3 | 37 6 7 8:
    //   j < 4: sc = s[j] & 63 -> 1 2 3 4, m = s[j + 4] & 63 -> 0 1 2 3;
    //   j = 4: sc = (s[8] & 15) | (s[0] >> 6) << 4 = 5 | 2 << 4 = 37, m = (s[8] >> 4) | (s[4] >> 6) << 4 = 2 | 3 << 4 = 50.
    // qs[0] = 0x21: weight 0 (sub-block 0) q 1, weight 32 (sub-block 1) q 2; qs[64] = 0x07: weight 128 (sub-block 4) q 7.
    const b = rawBlock(144, { 0: [0x00, 0x3c, 0x00, 0x38], 4: [129, 2, 3, 4, 192, 1, 2, 3, 37, 6, 7, 8], 16: [0x21], 80: [0x07] });
    const w = dequantize(matrix('q4_k', b));
    expect(w[0]).to.equal(1 * 1 * 1 - 0.5 * 0); // 1
    expect(w[32]).to.equal(1 * 2 * 2 - 0.5 * 1); // 3.5
    expect(w[1]).to.equal(0);
    expect(w[33]).to.equal(-0.5);
    expect(w[128]).to.equal(37 * 7 - 0.5 * 50); // 234
    expect(w[129]).to.equal(-25);
  });

  it('Q5_K: the fifth bit of weight l of sub-block j is bit j of qh[l]', () => {
    // d 1, dmin 0, sc all 1 (s[0..3] = 1, s[8..11] = 1); qh[0] = 0b101: weights 0 (j 0) and 64 (j 2) get +16; qs[0] = 0x13.
    const b = rawBlock(176, { 0: [0x00, 0x3c, 0, 0], 4: [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1], 16: [0b101], 48: [0x13], 80: [0x02] });
    const w = dequantize(matrix('q5_k', b));
    expect([w[0], w[32], w[64], w[96]]).to.deep.equal([3 + 16, 1, 2 + 16, 0]);
  });

  it('Q6_K: 6-bit codes minus 32 times d * int8 scale of 16-weight sub-blocks; d is the last field', () => {
    // d 0.5 (0x3800 at byte 208); scales[0] = 2, scales[1] = -3, scales[2] = 4, scales[4] = 1.
    // weight 0: ql[0] low 0x5, qh[0] bits 0-1 = 2 -> q = 0x25 = 37, c = 5 -> 0.5 * 2 * 5 = 5.
    // weight 16 (scale -3): ql[16] low 0, qh[16] = 0 -> c = -32 -> 0.5 * -3 * -32 = 48.
    // weight 32 (t 1, scale 4): ql[32] low 0xf, qh[0] bits 2-3 = 0 -> c = 15 - 32 = -17 -> -34.
    // weight 64 (t 2, scale index 4): ql[0] high 0x1, qh[0] bits 4-5 = 3 -> q = 0x31 = 49, c = 17 -> 8.5.
    const b = rawBlock(210, { 0: [0x15], 32: [0x0f], 128: [0b110010], 192: [2, 0xfd, 4, 0, 1], 208: [0x00, 0x38] });
    const w = dequantize(matrix('q6_k', b));
    expect([w[0], w[16], w[32], w[64]]).to.deep.equal([5, 48, -34, 8.5]);
  });

  it('Q5_0: bit j of the little-endian u32 qh is the fifth bit of weight j, codes minus 16', () => {
    // d 2; qh = 0x00010001: weights 0 and 16 get +16; qs[0] = 0x3f: weight 0 low 0xf, weight 16 high 0x3.
    const b = rawBlock(22, { 0: [0x00, 0x40], 2: [0x01, 0x00, 0x01, 0x00], 6: [0x3f, 0x08] });
    const w = dequantize(matrix('q5_0', b));
    expect([w[0], w[16], w[1], w[17]]).to.deep.equal([2 * (31 - 16), 2 * (19 - 16), 2 * (8 - 16), -32]);
  });
});

describe('K-quant block decoding (property: the decoded fields are the encoded ones)', () => {
  const codes = (n: number, max: number) => fc.array(fc.integer({ min: 0, max }), { minLength: n, maxLength: n });
  const six = (n: number) => codes(n, 63);
  const f16 = fc.integer({ min: -1000, max: 1000 }).map((v) => v / 1024);
  for (const highBits of [false, true]) {
    it(`${highBits ? 'Q5_K' : 'Q4_K'}: codes, scales d * sc and minima dmin * m`, () => {
      fc.assert(
        fc.property(f16, f16, six(8), six(8), codes(256, highBits ? 31 : 15), (d, dmin, sc, m, q) => {
          const got = decodeBlocks(highBits ? 'q5_k' : 'q4_k', encodeK({ d, dmin, sc, m, q }, highBits), 256);
          expect(Array.from(got.codes)).to.deep.equal(q);
          expect(Array.from(got.scales)).to.deep.equal(sc.map((s) => Math.fround(d * s)));
          expect(Array.from(got.mins!)).to.deep.equal(m.map((s) => Math.fround(dmin * s)));
        }),
        fuzzParams(0x4b01 + Number(highBits), 100),
      );
    });
  }

  it('Q6_K: codes q - 32 and scales d * int8', () => {
    fc.assert(
      fc.property(f16, fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 16, maxLength: 16 }), codes(256, 63), (d, sc, q) => {
        const got = decodeBlocks('q6_k', encodeQ6K({ d, sc, q }), 256);
        expect(Array.from(got.codes)).to.deep.equal(q.map((v) => v - 32));
        expect(Array.from(got.scales)).to.deep.equal(sc.map((s) => Math.fround(d * s)));
      }),
      fuzzParams(0x4b03, 100),
    );
  });

  it('Q5_0: codes q - 16', () => {
    fc.assert(
      fc.property(f16, codes(32, 31), (d, q) => {
        const got = decodeBlocks('q5_0', encodeQ5_0({ d, sc: [], q }), 32);
        expect(Array.from(got.codes)).to.deep.equal(q.map((v) => v - 16));
        expect(got.scales[0]).to.equal(d);
      }),
      fuzzParams(0x4b04, 100),
    );
  });
});

describe('the K-quant fixture GGUF (test/fixtures/kquant) against gguf-py, an independent dequantizer', () => {
  const reference = JSON.parse(readFileSync(path.join(KQUANT_FIXTURE, 'reference.json'), 'utf8')) as Record<string, { type: string; sha256: string; head: number[] }>;
  const names: Record<string, string> = { wq: 'attn_q', wk: 'attn_k', wv: 'attn_v', wo: 'attn_output', w1: 'ffn_gate', w2: 'ffn_down', w3: 'ffn_up' };
  const model = readGgufModel(kquantFixtureFile());
  for (const [field, type] of KQUANT_TYPES) {
    it(`${field} (${type}): every dequantized value equal to gguf-py's`, () => {
      const m = model.weights.layers[0][field] as QuantMatrix;
      const want = reference[names[field]];
      expect(m.type).to.equal(type);
      expect(want.type.toLowerCase()).to.equal(type);
      const w = dequantize(m);
      expect(Array.from(w.subarray(0, 16))).to.deep.equal(want.head);
      expect(createHash('sha256').update(new Uint8Array(w.buffer)).digest('hex')).to.equal(want.sha256);
    });
  }
  it('is read as a mixed-type model with the layer matrices quantized', () => {
    expect(weightsType(model.weights)).to.equal('mixed');
  });
});

describe("a Q4_K_M file written by llama.cpp's llama-quantize (test/fixtures/kquant/llama-q4_k_m.gguf)", () => {
  const model = readGgufModel(path.join(KQUANT_FIXTURE, 'llama-q4_k_m.gguf')).weights;
  const original = randomWeights(LLAMA_FIXTURE_CONFIG, LLAMA_FIXTURE_SEED);
  /** max |dequantized - original| / max |original|. */
  const relError = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) / b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  // Bounds: half a quantization step plus the error of the quantized scales. Measured: Q4_K 0.098 .. 0.105
  // (15 steps over the range), Q6_K 0.019 / 0.022 (embedding), Q8_0 0.004. A wrong layout gives errors near 1 or more.
  const bound: Record<string, number> = { q4_k: 0.15, q6_k: 0.04, q8_0: 0.01 };
  const types: Record<string, string> = { wq: 'q4_k', wk: 'q4_k', wv: 'q6_k', wo: 'q4_k', w1: 'q4_k', w2: 'q8_0', w3: 'q4_k' };
  for (const [field, type] of Object.entries(types)) {
    it(`${field} is ${type}, within ${bound[type]} of the F32 original (relative to its largest weight)`, () => {
      const m = model.layers[0][field as keyof LayerWeights] as QuantMatrix;
      expect(m.type).to.equal(type);
      expect(relError(dequantize(m), original.layers[0][field as keyof LayerWeights])).to.be.at.most(bound[type]);
    });
  }
  it('the Q6_K token embedding is dequantized to float32 (the classifier is tied to it)', () => {
    expect(model.tokenEmbedding).to.be.instanceOf(Float32Array);
    expect(model.classifier).to.equal(model.tokenEmbedding);
    expect(relError(model.tokenEmbedding, original.tokenEmbedding)).to.be.at.most(bound.q6_k);
  });
});

describe('MatMulNBits holds Q4_K / Q5_K / Q6_K / Q5_0 (onnxruntime CPU kernel, x of shape [2, 3, K])', () => {
  const [n, k] = [24, 512];
  const next = lcg(5);
  const x = Float32Array.from({ length: 6 * k }, () => next() * 2 - 1);
  // Largest |difference| / max |Y| measured: accuracy_level 0 (float activations) 4e-7 .. 8e-7, float32
  // rounding; level 4 (activations as int8 per block of 32, or 16 for Q6_K) 0.0036 .. 0.0055.
  for (const [accuracy, tol] of [
    [0, 1e-5],
    [4, 0.02],
  ] as const)
    for (const type of ['q4_k', 'q5_k', 'q6_k', 'q5_0'] as const) {
      it(`${type}, accuracy_level ${accuracy}: Y = X dequant(W)^T within ${tol} relative to max |Y|`, async () => {
        const blocks = (n * k) / BLOCK_LAYOUTS[type].weights;
        const data = new Uint8Array(blocks * BLOCK_LAYOUTS[type].bytes);
        for (let b = 0; b < blocks; b++) data.set(randomBlock(type, next), b * BLOCK_LAYOUTS[type].bytes);
        const w: QuantMatrix = { type, rows: n, cols: k, data };
        const g = new GraphBuilder('nbits', 21);
        g.input('x', 'float32', [2, 3, k]);
        g.output('y', 'float32', [2, 3, n]);
        g.op1('Identity', [nbitsWeight(g, w, 'w', accuracy)('x')], {}, 'y');
        const session = await OrtSession.create(g.toBytes());
        const y = floatData((await session.run({ x: floatTensor(x, [2, 3, k]) })).y, 'y');
        await session.dispose();
        const exact = matmulT(x, dequantize(w), 6, n, k);
        const scale = exact.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        const diff = y.reduce((a, v, i) => Math.max(a, Math.abs(v - exact[i])), 0);
        expect(scale).to.be.above(0.1);
        expect(diff / scale).to.be.at.most(tol);
      });
    }
});

describe('GGUF K-quant tensors: bad inputs', () => {
  const tmp = new TempDir();
  after(() => tmp.remove());
  const fixture = readFileSync(kquantFixtureFile());

  /** The fixture with tensor `name`'s ggml type id replaced by `type`. */
  function withType(name: string, type: number): string {
    const bytes = Buffer.from(fixture);
    const at = bytes.indexOf(Buffer.from(name, 'latin1')) + name.length + 4 + 16;
    bytes.writeUInt32LE(type, at);
    return tmp.write('bad.gguf', bytes);
  }

  it('a Q2_K layer matrix is refused, naming the tensor, its type and the supported types', () => {
    const file = withType('blk.0.attn_q.weight', 10);
    expect(() => readGgufModel(file)).to.throw(
      ModelFileError,
      'tensor "blk.0.attn_q.weight" has type Q2_K; supported: F32, F16, and Q4_0 / Q5_0 / Q8_0 / Q4_K / Q5_K / Q6_K matrices',
    );
  });

  it('an IQ4_NL layer matrix is refused likewise', () => {
    expect(() => readGgufModel(withType('blk.0.ffn_up.weight', 20))).to.throw(ModelFileError, 'has type IQ4_NL; supported');
  });

  it('a K-quant matrix whose rows are not whole 256-weight blocks', () => {
    const c = TINY_RANDOM_CONFIG;
    const w = randomWeights(c, 1);
    const wq: QuantMatrix = { type: 'q4_k', rows: c.dim, cols: c.dim, data: new Uint8Array(Math.ceil((c.dim * c.dim) / 256) * 144) };
    const layers = w.layers.map((l, i) => (i === 0 ? { ...l, wq } : l)) as LayerWeights<Matrix>[];
    const model: ModelWeights = { ...w, layers };
    const file = path.join(tmp.dir, 'rows.gguf');
    writeGguf(file, model, byteLevelVocab(c.vocabSize), { keepBlocks: true });
    expect(c.dim % 256).to.not.equal(0);
    expect(() => readGgufModel(file)).to.throw(ModelFileError, `tensor "blk.0.attn_q.weight" (Q4_K) has rows of ${c.dim} weights, not a multiple of its 256-weight blocks`);
  });
});
