import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../../../src/model/formats/safetensors.js';
import { assertMutantsFailCleanly, expectCleanFailure, fuzzParams, loadsOrFailsCleanly, mutations, randomBytes, TempDir } from '../../support/fuzz.js';

/** A safetensors file from a header value (any JSON, or raw text) and `dataBytes` zero bytes of data. */
function rawFile(header: unknown, dataBytes: number, declaredLength?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

const entry = (dtype: unknown, shape: unknown, offsets: unknown): object => ({ dtype, shape, data_offsets: offsets });

/** Header entries with hostile values: wrong dtypes, huge or negative dims, odd offsets. */
const hostileEntry = fc.record({
  dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'F8_E4M3', '', 7, null), fc.string()),
  shape: fc.oneof(fc.array(fc.oneof(fc.nat({ max: 8 }), fc.constantFrom(0, -1, 2 ** 20, 2 ** 53, 1.5)), { maxLength: 4 }), fc.constantFrom('x', null, {})),
  data_offsets: fc.oneof(fc.tuple(fc.nat({ max: 80 }), fc.nat({ max: 80 })), fc.constantFrom([0], [-4, 4], [0, 2 ** 60], 'x', null)),
});

describe('safetensors reader: malformed files fail cleanly (fuzz)', () => {
  const tmp = new TempDir();
  let seed: Buffer;
  let boundaries: number[];
  let file: string;
  const read = (): unknown => readSafetensors(file);

  before(() => {
    const tensors = [
      { name: 'a', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
      { name: 'b', shape: [5], data: Float32Array.from({ length: 5 }, (_, i) => -i) },
    ];
    writeSafetensors(`${tmp.dir}/seed.safetensors`, tensors, 'F16');
    seed = readFileSync(`${tmp.dir}/seed.safetensors`);
    const dataStart = 8 + Number(seed.readBigUInt64LE(0));
    boundaries = [8, dataStart, dataStart + 24, seed.length];
    file = `${tmp.dir}/case.safetensors`;
  });
  after(() => tmp.remove());

  it('truncations, bit flips, overwrites and insertions', () => {
    assertMutantsFailCleanly(tmp, 'case.safetensors', seed, mutations(seed.length, boundaries), read, fuzzParams(0x5afe, 200));
  });

  it('random bytes and random JSON headers', () => {
    fc.assert(
      fc.property(randomBytes, (bytes) => {
        tmp.write('case.safetensors', bytes);
        loadsOrFailsCleanly(file, read);
      }),
      fuzzParams(0x5aff, 100),
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), hostileEntry, { maxKeys: 3 })), fc.nat({ max: 64 }), (header, data) => {
        tmp.write('case.safetensors', rawFile(header, data));
        loadsOrFailsCleanly(file, read);
      }),
      fuzzParams(0x5b00, 200),
    );
  });

  describe('hostile headers', () => {
    const expectFails = (bytes: Buffer, pattern: RegExp): void => {
      const f = tmp.write('hostile.safetensors', bytes);
      expectCleanFailure(f, () => readSafetensors(f), pattern);
    };

    it('a header length larger than the file, a header that is not an object, not UTF-8, deep nesting', () => {
      expectFails(rawFile({}, 0, 1n << 40n), /header length 1099511627776 is larger than the rest of the file \(2 bytes\)/);
      expectFails(rawFile([1, 2], 0), /the JSON header is not an object/);
      expectFails(rawFile('"w"', 0), /the JSON header is not an object/);
      expectFails(Buffer.concat([rawFile('{"w":1}', 0).subarray(0, 8), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])]), /header is not valid UTF-8/);
      const deep = '['.repeat(100000) + ']'.repeat(100000);
      expectFails(rawFile(`{"w": {"dtype": ${deep}}}`, 0), /tensor "w": unsupported dtype \[\.\.\.\]/);
    });

    it('a tensor claiming 2^40 elements, a negative or fractional dim, a dtype that does not exist', () => {
      expectFails(
        rawFile({ w: entry('F32', [2 ** 20, 2 ** 20], [0, 8]) }, 8),
        /tensor "w" \(F32, shape \[1048576, 1048576\]\) claims 2\^40 elements \(4 TiB\) but the file has 8 B after its header/,
      );
      expectFails(rawFile({ w: entry('F32', [2 ** 30, 2 ** 30, 2 ** 30], [0, 8]) }, 8), /element count of shape .* is impossibly large/);
      expectFails(rawFile({ w: entry('F32', [-1, 2], [0, 8]) }, 8), /tensor "w": shape \[-1,2\] is not a list of sizes/);
      expectFails(rawFile({ w: entry('F32', [1.5], [0, 8]) }, 8), /shape \[1\.5\] is not a list of sizes/);
      expectFails(rawFile({ w: entry('Q4_0', [2], [0, 8]) }, 8), /unsupported dtype "Q4_0"/);
    });

    it('data offsets that overlap or point outside the data', () => {
      expectFails(rawFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12), /tensors "a" \(data_offsets \[0, 8\]\) and "b" \(\[4, 12\]\) overlap/);
      expectFails(rawFile({ a: entry('F32', [2], [8, 16]) }, 12), /data_offsets \[8, 16\] go past the end of the data \(12 bytes\)/);
      expectFails(rawFile({ a: entry('F32', [2], [8, 4]) }, 12), /data_offsets \[8,4\] are not \[begin, end\]/);
    });
  });
});
