import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFileError } from '../../../src/core/errors.js';
import { floatData, floatTensor, OrtSession } from '../../../src/engine/ort.js';
import { GraphBuilder } from '../../../src/model/graph/onnx-graph.js';
import { readGgufFile, readGgufModel } from '../../../src/model/formats/gguf.js';
import { writeGguf } from '../../../src/model/formats/gguf-writer.js';
import { loadModelAs, modelVocab } from '../../../src/model/models.js';
import { BLOCK_BYTES, dequantize, quantize, type QuantMatrix, type QuantType } from '../../../src/model/formats/quant.js';
import { inMemory, LAYER_MATRICES, weightsType } from '../../../src/model/weights.js';
import { matmulT } from '../../support/matmul.js';
import { useTestModelsDir } from '../../support/models-dir.js';
import { nbitsWeight, type NBitsAccuracy } from '../../../src/model/graph/quant-nbits.js';

const FIXTURE = new URL('../../../../test/fixtures/quant-ggml/', import.meta.url);

/** One block of 32 values: `set` entries, the rest `fill`. */
function block(set: Record<number, number>, fill = 0): Float32Array {
  const x = new Float32Array(32).fill(fill);
  for (const [j, v] of Object.entries(set)) x[Number(j)] = v;
  return x;
}

describe('Q8_0 blocks (ggml quantize_row_q8_0_ref)', () => {
  it('d = amax / 127 as f16, codes rounded half away from zero', () => {
    // amax 127 -> d = 1 (f16 0x3c00), id = 1: 2.5 -> 3, -2.5 -> -3, 0.4 -> 0, -126.6 -> -127.
    const q = quantize('q8_0', block({ 0: 127, 1: 2.5, 2: -2.5, 3: 0.4, 4: -126.6 }), 1, 32);
    expect(Array.from(q.data.subarray(0, 7))).to.deep.equal([0x00, 0x3c, 127, 3, 0xfd, 0, 0x81]);
    expect(Array.from(dequantize(q).subarray(0, 5))).to.deep.equal([127, 3, -3, 0, -127]);
  });

  it('an all-zero block has d = 0 and codes 0', () => {
    expect(Array.from(quantize('q8_0', block({}), 1, 32).data)).to.deep.equal(new Array(34).fill(0));
  });
});

describe('Q4_0 blocks (ggml quantize_row_q4_0_ref)', () => {
  it('d = max / -8 with the signed max, q = min(15, trunc(x / d + 8.5)), weight j and j + 16 in byte j', () => {
    // max -8 -> d = 1, id = 1: -8 -> 0, 7 -> 15, 7.6 -> 15 (clamped), -0.5 -> 8, 0.5 -> 9, 3.4 -> 11; weight 16 = -7.5 -> 1.
    const q = quantize('q4_0', block({ 0: -8, 1: 7, 2: 7.6, 3: -0.5, 4: 0.5, 5: 3.4, 16: -7.5 }), 1, 32);
    expect(q.data.length).to.equal(BLOCK_BYTES.q4_0);
    expect(Array.from(q.data.subarray(0, 8))).to.deep.equal([0x00, 0x3c, 0x10, 0x8f, 0x8f, 0x88, 0x89, 0x8b]);
    expect(Array.from(dequantize(q).subarray(0, 6))).to.deep.equal([-8, 7, 7, 0, 1, 3]);
    expect(dequantize(q)[16]).to.equal(-7);
  });

  it('a positive max gives a negative d (f16 0xbc00 for max 8)', () => {
    const q = quantize('q4_0', block({ 7: 8, 8: -8 }), 1, 32);
    expect([q.data[0], q.data[1]]).to.deep.equal([0x00, 0xbc]);
    expect(dequantize(q)[7]).to.equal(8);
    expect(dequantize(q)[8]).to.equal(-7);
  });

  it('an all-zero block has d = 0 / -8 = -0 (f16 0x8000) and codes 8', () => {
    expect(Array.from(quantize('q4_0', block({}), 1, 32).data)).to.deep.equal([0x00, 0x80, ...new Array<number>(16).fill(0x88)]);
  });
});

describe('byte identity with llama.cpp (fixture from ggml-quants.c compiled with gcc)', () => {
  const input = new Float32Array(readFileSync(new URL('input.f32', FIXTURE)).buffer.slice(0));
  const ggml = new Uint8Array(readFileSync(new URL('ggml-q8_0-q4_0.bin', FIXTURE)));
  const q8Bytes = (input.length / 32) * BLOCK_BYTES.q8_0;
  for (const [type, want] of [
    ['q8_0', ggml.subarray(0, q8Bytes)],
    ['q4_0', ggml.subarray(q8Bytes)],
  ] as const) {
    it(`${type}: ${input.length / 32} blocks byte for byte`, () => {
      const got = quantize(type, input, input.length / 32, 32).data;
      const first = got.findIndex((b, i) => b !== want[i]);
      expect(first, `first differing byte (block ${Math.floor(first / BLOCK_BYTES[type])})`).to.equal(-1);
      expect(got.length).to.equal(want.length);
    });
  }
});

/** Y = X W^T by one MatMulNBits node on W quantized as `type`. */
async function nbitsProduct(type: QuantType, w: Float32Array, n: number, k: number, x: Float32Array, accuracy: NBitsAccuracy) {
  const q = quantize(type, w, n, k);
  const g = new GraphBuilder('nbits', 21);
  g.input('x', 'float32', ['M', k]);
  g.output('y', 'float32', ['M', n]);
  g.op1('Identity', [nbitsWeight(g, q, 'w', accuracy)('x')], {}, 'y');
  const session = await OrtSession.create(g.toBytes());
  const m = x.length / k;
  const y = floatData((await session.run({ x: floatTensor(x, [m, k]) })).y, 'y');
  await session.dispose();
  return { y, exact: matmulT(x, dequantize(q), m, n, k) };
}

function randomMatrix(len: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: len }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

describe('MatMulNBits holds Q8_0 / Q4_0 exactly (onnxruntime CPU kernel)', () => {
  const [n, k, m] = [48, 96, 5];
  const w = randomMatrix(n * k, 7);
  const x = randomMatrix(m * k, 11);
  // accuracy_level 0 multiplies float activations: the float64 product of the dequantized weights up to float32 rounding.
  // accuracy_level 4 quantizes the activations to int8 per block of 32: measured 0.050 (both types) for |y| ~ 3.
  for (const [accuracy, tol] of [
    [0, 1e-5],
    [4, 0.08],
  ] as const)
    for (const type of ['q8_0', 'q4_0'] as const) {
      it(`${type}, accuracy_level ${accuracy}: Y = X dequant(W)^T within ${tol}`, async () => {
        const { y, exact } = await nbitsProduct(type, w, n, k, x, accuracy);
        const diff = y.reduce((a, v, i) => Math.max(a, Math.abs(v - exact[i])), 0);
        expect(diff).to.be.at.most(tol);
      });
    }
});

describe('GGUF files with Q8_0 / Q4_0 layer matrices', () => {
  let tmp: string;
  before(() => {
    useTestModelsDir();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-quant-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const type of ['q8_0', 'q4_0'] as const) {
    it(`${type}: export -> read keeps every block byte for byte, and a re-export is byte-identical`, async () => {
      const m = await loadModelAs('stories260K', type);
      const vocab = modelVocab(m);
      const [first, second] = [path.join(tmp, `a-${type}.gguf`), path.join(tmp, `b-${type}.gguf`)];
      writeGguf(first, m.weights, vocab, { dtype: type === 'q8_0' ? 'Q8_0' : 'Q4_0', name: 'x' });
      const back = readGgufModel(first);
      expect(weightsType(back.weights)).to.equal(type);
      back.weights.layers.forEach((l, i) => {
        for (const f of LAYER_MATRICES) {
          const [got, want] = [l[f], m.weights.layers[i][f]];
          if (want instanceof Float32Array) expect(inMemory(got), `layer ${i} ${f} (unquantized: 172 columns)`).to.deep.equal(want);
          else expect(Buffer.from((got as QuantMatrix).data).equals(Buffer.from(want.data)), `layer ${i} ${f}`).to.equal(true);
        }
      });
      expect(readGgufFile(first).metadata.get('general.file_type')?.value).to.equal(type === 'q8_0' ? 7 : 2);
      writeGguf(second, back.weights, back.vocab, { dtype: type === 'q8_0' ? 'Q8_0' : 'Q4_0', name: 'x' });
      expect(readFileSync(second).equals(readFileSync(first))).to.equal(true);
    });
  }

  it('quantized matrices stay in the file until used: each use reads them; a file whose size changed is an error', async () => {
    const file = path.join(tmp, 'lazy.gguf');
    const m = await loadModelAs('stories260K', 'q8_0');
    writeGguf(file, m.weights, modelVocab(m), { dtype: 'Q8_0' });
    const wq = readGgufModel(file).weights.layers[1].wq as QuantMatrix;
    const first = Buffer.from(wq.data);
    expect(first.equals(Buffer.from((m.weights.layers[1].wq as QuantMatrix).data))).to.equal(true);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(first);
    bytes[at + 2] ^= 0xff; // the first code of the first block
    writeFileSync(file, bytes);
    expect(wq.data[2]).to.equal(first[2] ^ 0xff);
    writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(32)]));
    expect(() => wq.data).to.throw(ModelFileError, /lazy\.gguf: changed since it was opened \(\d+ bytes then, \d+ now\): load the model again/);
  });

  it('other tensor types are refused with the tensor, its type and the supported ones', async () => {
    const file = path.join(tmp, 'k.gguf');
    const m = await loadModelAs('stories260K', 'q4_0');
    writeGguf(file, m.weights, modelVocab(m), { dtype: 'Q4_0' });
    const bytes = readFileSync(file);
    const name = Buffer.from('blk.1.attn_q.weight');
    const typeAt = bytes.indexOf(name) + name.length + 4 + 2 * 8; // n_dims, ne[2], then the type
    bytes.writeUInt32LE(20, typeAt); // IQ4_NL (18 bytes per 32 weights, as Q4_0)
    writeFileSync(file, bytes);
    expect(() => readGgufModel(file)).to.throw(ModelFileError, /tensor "blk\.1\.attn_q\.weight" has type IQ4_NL; supported: F32, F16, and Q4_0 \/ Q5_0 \/ Q8_0 \/ Q4_K/);
  });
});
