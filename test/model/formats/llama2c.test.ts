import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFileError } from '../../../src/core/errors.js';
import { readLlama2cCheckpoint } from '../../../src/model/formats/llama2c.js';
import { parameterCount } from '../../../src/model/weights.js';
import { modelFile } from '../../support/models-dir.js';

const STORIES = modelFile('stories260K/stories260K.bin');

/** Expects `fn` to throw a ModelFileError whose file is `file` and whose message matches every pattern. */
function expectModelFileError(fn: () => unknown, file: string, ...patterns: RegExp[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ModelFileError);
    const err = e as ModelFileError;
    expect(err.file).to.equal(file);
    expect(err.message).to.contain(file);
    for (const p of patterns) expect(err.message).to.match(p);
    return;
  }
  expect.fail('expected a ModelFileError');
}

/** A legacy checkpoint with the given header and `floats` float32 values counting up from 0. */
function checkpointBytes(header: number[], floats: number): Buffer {
  const buf = Buffer.alloc(28 + floats * 4);
  header.forEach((v, i) => buf.writeInt32LE(v, i * 4));
  for (let i = 0; i < floats; i++) buf.writeFloatLE(i, 28 + i * 4);
  return buf;
}

describe('readLlama2cCheckpoint', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-llama2c-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const tmpFile = (name: string, data: Buffer): string => {
    const f = path.join(tmp, name);
    writeFileSync(f, data);
    return f;
  };

  it('reads the stories260K header and shapes', () => {
    const w = readLlama2cCheckpoint(STORIES);
    expect(w.config).to.deep.equal({
      dim: 64,
      hiddenDim: 172,
      nLayers: 5,
      nHeads: 8,
      nKvHeads: 4,
      vocabSize: 512,
      maxSeqLen: 512,
      normEps: 1e-5,
      ropeTheta: 10000,
    });
    expect(w.classifier).to.equal(w.tokenEmbedding); // vocab_size > 0: tied
    expect(w.layers.length).to.equal(5);
    expect(w.layers[0].wk.length).to.equal(32 * 64);
    expect(w.layers[0].w2.length).to.equal(64 * 172);
    // 1056540 bytes = 28 + 4 * (260032 weights + 2 * 512 * 4 freq_cis)
    expect(parameterCount(w)).to.equal(260_032);
  });

  it('slices the arrays at the offsets of run.c', () => {
    const w = readLlama2cCheckpoint(STORIES);
    const raw = readFileSync(STORIES);
    const at = (floatIndex: number): number => raw.readFloatLE(28 + 4 * floatIndex);
    // Offsets in floats: embedding 0 (512*64), rms_att 32768 (5*64), wq 33088 (5*64*64), wk 53568 (5*32*64),
    // wv 63808, wo 74048, rms_ffn 94528, w1 94848 (5*172*64), w2 149888, w3 204928, rms_final 259968.
    expect(w.tokenEmbedding[0]).to.equal(at(0));
    expect(w.tokenEmbedding[32767]).to.equal(at(32767));
    expect(w.layers[0].attnNorm[0]).to.equal(at(32768));
    expect(w.layers[1].wq[0]).to.equal(at(33088 + 4096));
    expect(w.layers[4].wk[5]).to.equal(at(53568 + 4 * 2048 + 5));
    expect(w.layers[2].wv[0]).to.equal(at(63808 + 2 * 2048));
    expect(w.layers[0].wo[0]).to.equal(at(74048));
    expect(w.layers[3].ffnNorm[63]).to.equal(at(94528 + 3 * 64 + 63));
    expect(w.layers[0].w1[0]).to.equal(at(94848));
    expect(w.layers[1].w2[0]).to.equal(at(149888 + 11008));
    expect(w.layers[4].w3[11007]).to.equal(at(204928 + 4 * 11008 + 11007));
    expect(Array.from(w.finalNorm)).to.deep.equal(Array.from({ length: 64 }, (_, i) => at(259968 + i)));
  });

  it('reads the draft models with the parameter counts of the README', () => {
    const s = readLlama2cCheckpoint(modelFile('stories260K-ssm-s/stories260K-ssm-s.bin'));
    expect([s.config.dim, s.config.hiddenDim, s.config.nLayers, s.config.nHeads, s.config.nKvHeads]).to.deep.equal([32, 86, 1, 4, 2]);
    expect(parameterCount(s)).to.equal(27_808);
    const m = readLlama2cCheckpoint(modelFile('stories260K-ssm-m/stories260K-ssm-m.bin'));
    expect([m.config.dim, m.config.hiddenDim, m.config.nLayers, m.config.nHeads, m.config.nKvHeads]).to.deep.equal([48, 128, 2, 6, 3]);
    expect(parameterCount(m)).to.equal(75_504);
  });

  it('reads an untied classifier after freq_cis when vocab_size is negative', () => {
    // dim 4, hidden 2, 1 layer, 2 heads (head_dim 2), 1 kv head, vocab 3, seq 2:
    // emb 12, rms 4, wq 16, wk 8, wv 8, wo 16, rms 4, w1 8, w2 8, w3 8, final 4, freq_cis 2*(2*1), wcls 12 = 112 floats
    const f = tmpFile('untied.bin', checkpointBytes([4, 2, 1, 2, 1, -3, 2], 112));
    const w = readLlama2cCheckpoint(f);
    expect(w.config.vocabSize).to.equal(3);
    expect(w.classifier).to.not.equal(w.tokenEmbedding);
    expect(Array.from(w.tokenEmbedding)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(w.finalNorm)).to.deep.equal([92, 93, 94, 95]);
    expect(Array.from(w.classifier)).to.deep.equal([100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111]);
    expect(Array.from(w.layers[0].wk)).to.deep.equal([32, 33, 34, 35, 36, 37, 38, 39]);
  });

  it('error: missing file', () => {
    const f = path.join(tmp, 'nope.bin');
    expectModelFileError(() => readLlama2cCheckpoint(f), f, /not found/);
  });

  it('error: file shorter than the header', () => {
    const f = tmpFile('short.bin', Buffer.alloc(10));
    expectModelFileError(() => readLlama2cCheckpoint(f), f, /10 bytes/, /28-byte llama2\.c header/);
  });

  it('error: non-positive or inconsistent header values', () => {
    const cases: [number[], RegExp][] = [
      [[0, 2, 1, 2, 1, 3, 2], /dim must be positive/],
      [[4, 2, -1, 2, 1, 3, 2], /n_layers must be positive/],
      [[4, 2, 1, 2, 1, 0, 2], /vocab_size must be non-zero/],
      [[6, 2, 1, 4, 1, 3, 2], /dim 6 is not a multiple of n_heads 4/],
      [[8, 2, 1, 4, 3, 3, 2], /n_heads 4 is not a multiple of n_kv_heads 3/],
      [[6, 2, 1, 2, 1, 3, 2], /head_dim 3 is odd/],
    ];
    cases.forEach(([header, pattern], i) => {
      const f = tmpFile(`bad-header-${i}.bin`, checkpointBytes(header, 4));
      expectModelFileError(() => readLlama2cCheckpoint(f), f, /invalid llama2\.c header/, pattern);
    });
  });

  it('error: truncated weights (a cut copy of stories260K.bin)', () => {
    const f = tmpFile('truncated.bin', readFileSync(STORIES).subarray(0, 500_000));
    expectModelFileError(
      () => readLlama2cCheckpoint(f),
      f,
      /truncated/,
      /header says 1056512 bytes of weights \(dim=64, hidden_dim=172, layers=5, n_heads=8, n_kv_heads=4, vocab=512, max_seq_len=512\) but the file has 499972/,
    );
  });

  it('error: file larger than the header says (extra bytes)', () => {
    const f = tmpFile('extra.bin', Buffer.concat([readFileSync(STORIES), Buffer.alloc(8)]));
    expectModelFileError(() => readLlama2cCheckpoint(f), f, /does not match the header/, /header says 1056512 bytes .* but the file has 1056520/, /8 bytes too many/);
  });

  it('error: header changed so it no longer matches the weights', () => {
    const raw = Buffer.from(readFileSync(STORIES));
    raw.writeInt32LE(4, 8); // n_layers 5 -> 4: the file now has one layer too many
    const f = tmpFile('layers4.bin', raw);
    expectModelFileError(() => readLlama2cCheckpoint(f), f, /does not match the header/, /layers=4/, /but the file has 1056512/);
    raw.writeInt32LE(6, 8); // 5 -> 6: the file is one layer short
    const g = tmpFile('layers6.bin', raw);
    expectModelFileError(() => readLlama2cCheckpoint(g), g, /truncated/, /layers=6/, /but the file has 1056512/);
  });

  it('error: llama2.c version 1/2 export (magic ak42)', () => {
    const buf = Buffer.alloc(64);
    buf.writeUInt32LE(0x616b3432, 0);
    const f = tmpFile('v1.bin', buf);
    expectModelFileError(() => readLlama2cCheckpoint(f), f, /version 1\/2/, /legacy version 0/);
  });
});
