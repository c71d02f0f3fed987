import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { readLlama2cCheckpoint } from '../../../src/model/formats/llama2c.js';
import { assertMutantsFailCleanly, expectCleanFailure, fuzzParams, loadsOrFailsCleanly, mutations, randomBytes, TempDir } from '../../support/fuzz.js';
import { modelFile } from '../../support/models-dir.js';

const HEADER_BYTES = 28;

/** A llama2.c legacy header (7 x int32: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, max_seq_len) + `weightBytes` zero bytes. */
function checkpoint(fields: readonly number[], weightBytes = 0): Buffer {
  const b = Buffer.alloc(HEADER_BYTES + weightBytes);
  fields.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

/** int32 header values: extremes, powers of two, small sizes. */
const headerField = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 8, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, 2 ** 16),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.integer({ min: 1, max: 64 }),
);

describe('llama2.c checkpoint reader: malformed files fail cleanly (fuzz)', () => {
  const tmp = new TempDir();
  let seed: Buffer;
  let file: string;
  const read = (): unknown => readLlama2cCheckpoint(file);

  before(() => {
    seed = readFileSync(modelFile('stories260K/stories260K.bin'));
    file = `${tmp.dir}/case.bin`;
  });
  after(() => tmp.remove());

  it('mutations of stories260K.bin, biased to the header and the end', () => {
    const boundaries = [0, 4, 8, 12, 16, 20, 24, HEADER_BYTES, seed.length];
    assertMutantsFailCleanly(tmp, 'case.bin', seed, mutations(seed.length, boundaries), read, fuzzParams(0x11a0, 60));
  });

  it('random headers over a small body, and random files', () => {
    fc.assert(
      fc.property(fc.array(headerField, { minLength: 7, maxLength: 7 }), fc.nat({ max: 4096 }), (fields, body) => {
        tmp.write('case.bin', checkpoint(fields, body));
        loadsOrFailsCleanly(file, read);
      }),
      fuzzParams(0x11a1, 200),
    );
    fc.assert(
      fc.property(randomBytes, (bytes) => {
        tmp.write('case.bin', bytes);
        loadsOrFailsCleanly(file, read);
      }),
      fuzzParams(0x11a2, 100),
    );
  });

  it('hostile headers: dims whose product overflows, zero and negative dims, a short file', () => {
    const cases: [number[], RegExp][] = [
      [[2 ** 30, 2 ** 30, 2 ** 30, 2, 2, 32000, 2 ** 30], /the weights of the header \(dim=1073741824, .*\) is impossibly large/],
      [[2 ** 16, 2 ** 16, 1, 2, 2, 32000, 256], /truncated: header says \d+ bytes of weights/],
      [[0, 64, 1, 2, 2, 32, 16], /dim must be positive/],
      [[8, -64, 1, 2, 2, 32, 16], /hidden_dim must be positive/],
      [[8, 64, 1, 2, 2, 0, 16], /vocab_size must be non-zero/],
      [[8, 64, 1, 3, 3, 32, 16], /dim 8 is not a multiple of n_heads 3/],
    ];
    for (const [fields, pattern] of cases) {
      const f = tmp.write('hostile.bin', checkpoint(fields, 64));
      expectCleanFailure(f, () => readLlama2cCheckpoint(f), pattern);
    }
    const short = tmp.write('short.bin', Buffer.alloc(20));
    expectCleanFailure(short, () => readLlama2cCheckpoint(short), /shorter than the 28-byte llama2\.c header/);
  });
});
