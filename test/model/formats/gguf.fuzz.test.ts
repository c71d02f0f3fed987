import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { GgufType, readGguf, readGgufFile } from '../../../src/model/formats/gguf.js';
import { writeGguf } from '../../../src/model/formats/gguf-writer.js';
import { byteLevelVocab } from '../../../src/model/formats/llama2c-tokenizer.js';
import { randomWeights, TINY_RANDOM_CONFIG } from '../../../src/model/random.js';
import { assertMutantsFailCleanly, expectCleanFailure, fuzzParams, loadsOrFailsCleanly, mutations, randomBytes, TempDir } from '../../support/fuzz.js';

/** Little-endian GGUF bytes, field by field, for hand-built hostile headers. */
class GgufBytes {
  private readonly parts: Buffer[] = [];

  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return this.push(b);
  }

  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.push(b);
  }

  str(s: string, claimedLength?: bigint): this {
    return this.u64(claimedLength ?? BigInt(Buffer.byteLength(s))).push(Buffer.from(s));
  }

  /** A tensor info: name, dims (ggml order), type, offset. */
  tensor(name: string, ne: readonly bigint[], type: number, offset: bigint): this {
    this.str(name).u32(ne.length);
    ne.forEach((d) => this.u64(d));
    return this.u32(type).u64(offset);
  }

  push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  bytes(dataBytes = 0): Buffer {
    const head = Buffer.concat(this.parts);
    const pad = (32 - (head.length % 32)) % 32;
    return Buffer.concat([head, Buffer.alloc(pad + dataBytes)]);
  }
}

/** "GGUF", version 3, tensor count, metadata count. */
const header = (nTensors: bigint, nKv: bigint): GgufBytes => new GgufBytes().push(Buffer.from('GGUF')).u32(3).u64(nTensors).u64(nKv);

describe('GGUF reader: malformed files fail cleanly (fuzz)', function () {
  const tmp = new TempDir();
  let seed: Buffer;
  let boundaries: number[];
  let file: string;
  const read = (): unknown => readGguf(file);

  before(() => {
    const seedFile = `${tmp.dir}/seed.gguf`;
    writeGguf(seedFile, randomWeights(TINY_RANDOM_CONFIG, 1), byteLevelVocab(TINY_RANDOM_CONFIG.vocabSize), { dtype: 'F16' });
    seed = readFileSync(seedFile);
    const g = readGgufFile(seedFile);
    boundaries = [4, 8, 16, 24, g.dataOffset, ...[...g.tensors.values()].map((t) => g.dataOffset + t.offset)];
    file = `${tmp.dir}/case.gguf`;
  });
  after(() => tmp.remove());

  it('the seed file loads', () => {
    readGguf(tmp.write('case.gguf', seed));
  });

  it('truncations, bit flips, overwrites and insertions', () => {
    assertMutantsFailCleanly(tmp, 'case.gguf', seed, mutations(seed.length, boundaries), read, fuzzParams(0x66c0, 150));
  });

  it('mutations inside the header (metadata and tensor infos) only', () => {
    const headerEnd = boundaries[4];
    assertMutantsFailCleanly(tmp, 'case.gguf', seed, mutations(headerEnd), read, fuzzParams(0x66c1, 150));
  });

  it('random bytes, with and without the magic', () => {
    fc.assert(
      fc.property(randomBytes, fc.boolean(), (bytes, magic) => {
        tmp.write('case.gguf', magic ? Buffer.concat([Buffer.from('GGUF\x03\0\0\0'), bytes]) : bytes);
        loadsOrFailsCleanly(file, read);
      }),
      fuzzParams(0x66c2, 100),
    );
  });

  describe('hostile headers', () => {
    const expectFails = (bytes: Buffer, pattern: RegExp): void => {
      const f = tmp.write('hostile.gguf', bytes);
      expectCleanFailure(f, () => readGguf(f), pattern);
      expectCleanFailure(f, () => readGgufFile(f), pattern);
    };

    it('a tensor claiming 2^40 elements', () => {
      expectFails(
        header(1n, 0n)
          .tensor('blk.0.attn_q.weight', [1n << 20n, 1n << 20n], 0, 0n)
          .bytes(64),
        /tensor "blk\.0\.attn_q\.weight" .*claims 2\^40 elements \(4 TiB\) but the file has 64 B after its header/,
      );
    });

    it('dims whose product overflows 2^53', () => {
      expectFails(
        header(1n, 0n)
          .tensor('t', [1n << 30n, 1n << 30n], 0, 0n)
          .bytes(),
        /element count of tensor "t" is impossibly large/,
      );
    });

    it('a zero dimension', () => {
      expectFails(header(1n, 0n).tensor('t', [4n, 0n], 0, 0n).bytes(64), /tensor "t" has a zero dimension/);
    });

    it('a u64 dimension of 2^64 - 1 (negative as int64)', () => {
      expectFails(
        header(1n, 0n)
          .tensor('t', [(1n << 64n) - 1n], 0, 0n)
          .bytes(64),
        /shape of tensor "t" is 18446744073709551615, impossibly large/,
      );
    });

    it('tensor offsets that overlap or point outside the data', () => {
      const two = header(2n, 0n).tensor('a', [8n], 0, 0n).tensor('b', [8n], 0, 16n).bytes(64);
      expectFails(two, /tensors "a" \(bytes 0\.\.32\) and "b" \(16\.\.48\) overlap/);
      expectFails(header(1n, 0n).tensor('a', [8n], 0, 64n).bytes(64), /truncated: tensor "a" needs bytes 64\.\.96 of the data section but it has 64/);
    });

    it('a tensor named twice', () => {
      expectFails(header(2n, 0n).tensor('a', [8n], 0, 0n).tensor('a', [8n], 0, 32n).bytes(64), /tensor "a" appears twice/);
    });

    it('a string length past the end of the file', () => {
      expectFails(
        header(0n, 1n)
          .str('general.architecture', 1n << 40n)
          .bytes(),
        /truncated: the file ends .* while reading metadata key 0/,
      );
    });

    it('an array count of 2^62 and a tensor count of 2^62', () => {
      const arr = header(0n, 1n)
        .str('tokenizer.ggml.tokens')
        .u32(GgufType.ARRAY)
        .u32(GgufType.STRING)
        .u64(1n << 62n)
        .bytes();
      expectFails(arr, /length of "tokenizer\.ggml\.tokens" is 4611686018427387904, impossibly large/);
      expectFails(header(1n << 62n, 0n).bytes(), /tensor count is 4611686018427387904, impossibly large/);
      expectFails(header(1000n, 0n).bytes(), /truncated: tensor count is 1000 but only \d+ bytes are left/);
    });

    it('a value type that does not exist and a ggml type that is not supported', () => {
      expectFails(header(0n, 1n).str('k').u32(99).bytes(), /metadata "k" has unknown value type 99/);
      const q = tmp.write(
        'quant.gguf',
        header(1n, 0n)
          .tensor('token_embd.weight', [32n, 300n], 2, 0n)
          .bytes(32 * 300),
      );
      expectCleanFailure(q, () => readGguf(q), /metadata key "general\.architecture" is missing/);
    });
  });
});
