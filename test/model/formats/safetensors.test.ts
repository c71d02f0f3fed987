import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFileError } from '../../../src/core/errors.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, openSafetensors, readSafetensors, writeSafetensors } from '../../../src/model/formats/safetensors.js';

/** [input, expected bits, expected value read back] (NaN: any NaN). */
type Row = [number, number, number];

// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; max 65504, min subnormal 2^-24.
const F16_TABLE: Row[] = [
  [1.0, 0x3c00, 1.0],
  [-2.0, 0xc000, -2.0],
  [65504, 0x7bff, 65504], // largest finite
  [65519, 0x7bff, 65504], // below the halfway point 65520
  [65520, 0x7c00, Infinity], // halfway between 65504 and 2^16: ties to even = inf
  [1e-8, 0x0000, 0], // below 2^-25 (half the smallest subnormal)
  [3e-8, 0x0001, 2 ** -24], // above 2^-25: smallest subnormal
  [2 ** -24, 0x0001, 2 ** -24],
  [3 * 2 ** -24, 0x0003, 3 * 2 ** -24], // subnormal, exact
  [2 ** -14, 0x0400, 2 ** -14], // smallest normal
  [0.1, 0x2e66, 0.0999755859375],
  [1 / 3, 0x3555, 0.333251953125],
  [1 + 2 ** -11, 0x3c00, 1], // tie -> even mantissa 0
  [1 + 3 * 2 ** -11, 0x3c02, 1 + 2 ** -9], // tie -> even mantissa 2
  [-0, 0x8000, -0],
  [Infinity, 0x7c00, Infinity],
  [-Infinity, 0xfc00, -Infinity],
];

// bfloat16: the top 16 bits of a float32 (8 exponent bits, 7 mantissa bits).
const BF16_TABLE: Row[] = [
  [1.0, 0x3f80, 1.0],
  [-2.0, 0xc000, -2.0],
  [0.1, 0x3dcd, 0.10009765625], // float32 0x3dcccccd rounds up
  [65504, 0x4780, 65536], // float32 0x477fe000 rounds up
  [1e-8, 0x322c, 1.0011717677116394e-8], // float32 0x322bcc77; normal in bfloat16
  [1 + 2 ** -8, 0x3f80, 1], // tie -> even
  [1 + 3 * 2 ** -8, 0x3f82, 1 + 2 ** -6], // tie -> even
  [3.4028234663852886e38, 0x7f80, Infinity], // float32 max rounds up to inf
  [-0, 0x8000, -0],
  [Infinity, 0x7f80, Infinity],
  [-Infinity, 0xff80, -Infinity],
];

describe('safetensors', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-safetensors-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string): string => path.join(dir, name);

  /** Writes a raw safetensors file: u64 header length, the JSON header, `dataBytes` zero bytes. */
  function rawFile(name: string, header: unknown, dataBytes: number, headerLength?: number): string {
    const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerLength ?? json.length));
    writeFileSync(file(name), Buffer.concat([len, json, Buffer.alloc(dataBytes)]));
    return file(name);
  }

  /** Bits of the single 16-bit tensor "x" stored by writeSafetensors. */
  function storedBits(f: string): number[] {
    const buf = readFileSync(f);
    const start = 8 + Number(buf.readBigUInt64LE(0));
    const out: number[] = [];
    for (let i = start; i < buf.length; i += 2) out.push(buf.readUInt16LE(i));
    return out;
  }

  const sameValue = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

  it('round-trips F32 bit for bit, with several tensors and a padded header', () => {
    const a = Float32Array.from([1, -0, 3.5e-42, Infinity, NaN, -1.2345678e30, 0.1]);
    const b = new Float32Array(6).map((_, i) => i / 7);
    writeSafetensors(
      file('f32.safetensors'),
      [
        { name: 'a', shape: [7], data: a },
        { name: 'b.weight', shape: [2, 3], data: b },
      ],
      'F32',
    );
    const headerLen = Number(readFileSync(file('f32.safetensors')).readBigUInt64LE(0));
    expect(headerLen % 8).to.equal(0);
    const t = readSafetensors(file('f32.safetensors'));
    expect([...t.keys()]).to.deep.equal(['a', 'b.weight']);
    expect(t.get('b.weight')?.shape).to.deep.equal([2, 3]);
    expect(t.get('a')?.dtype).to.equal('F32');
    expect(Buffer.from(t.get('a')!.data.buffer).equals(Buffer.from(a.buffer))).to.equal(true);
    expect(Buffer.from(t.get('b.weight')!.data.buffer).equals(Buffer.from(b.buffer))).to.equal(true);
  });

  for (const [dtype, table, toBits, fromBits] of [
    ['F16', F16_TABLE, f32ToF16Bits, f16BitsToF32],
    ['BF16', BF16_TABLE, f32ToBf16Bits, bf16BitsToF32],
  ] as const) {
    it(`converts to and from ${dtype} (round to nearest even) as the hand-computed table says`, () => {
      const input = Float32Array.from([...table.map((r) => r[0]), NaN]);
      const f = file(`${dtype}.safetensors`);
      writeSafetensors(f, [{ name: 'x', shape: [input.length], data: input }], dtype);
      const bits = storedBits(f);
      const back = readSafetensors(f).get('x')!;
      expect(back.dtype).to.equal(dtype);
      table.forEach(([x, wantBits, wantValue], i) => {
        expect(bits[i], `${dtype} bits of ${x}`).to.equal(wantBits);
        expect(toBits(x), `${dtype} bits of ${x}`).to.equal(wantBits);
        expect(sameValue(back.data[i], wantValue), `${x} read back as ${back.data[i]}, want ${wantValue}`).to.equal(true);
        expect(sameValue(fromBits(wantBits), wantValue)).to.equal(true);
      });
      expect(Number.isNaN(back.data[input.length - 1]), 'NaN stays NaN').to.equal(true);
    });
  }

  it('openSafetensors checks the header and reads each tensor only when asked, from the file as it is then', () => {
    const f = file('lazy.safetensors');
    writeSafetensors(
      f,
      [
        { name: 'a', shape: [2], data: Float32Array.from([1.5, -2]) },
        { name: 'h', shape: [1], data: Float32Array.from([0.5]) },
      ],
      'F16',
    );
    const t = openSafetensors(f);
    expect([...t.keys()]).to.deep.equal(['a', 'h']);
    expect([t.get('a')!.dtype, t.get('a')!.shape]).to.deep.equal(['F16', [2]]);
    expect(Array.from(t.get('a')!.read())).to.deep.equal([1.5, -2]);
    expect(Array.from(t.get('h')!.read())).to.deep.equal([0.5]);
    truncateSync(f, readFileSync(f).length - 2); // the file shrinks after its header was checked: h's 2 bytes are gone
    expect(() => t.get('h')!.read()).to.throw(
      ModelFileError,
      /lazy\.safetensors: truncated: 2 bytes needed at offset \d+, the file ended after 0 \(was it changed while being read\?\)/,
    );
  });

  it('F16 conversion is exact on every binary16 value (all 65536 bit patterns round-trip)', () => {
    for (let h = 0; h < 65536; h++) {
      const x = f16BitsToF32(h);
      const back = f32ToF16Bits(x);
      if (Number.isNaN(x)) expect(Number.isNaN(f16BitsToF32(back))).to.equal(true);
      else if (back !== h) expect.fail(`0x${h.toString(16)} -> ${x} -> 0x${back.toString(16)}`);
    }
  });

  describe('errors name the file and the problem', () => {
    const expectError = (f: string, pattern: RegExp): void => {
      let err: unknown;
      try {
        readSafetensors(f);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ModelFileError);
      expect((err as ModelFileError).file).to.equal(f);
      expect((err as Error).message)
        .to.include(f)
        .and.match(pattern);
    };

    it('missing file', () => expectError(file('nope.safetensors'), /not found/));

    it('file shorter than the header length field', () => {
      writeFileSync(file('tiny.safetensors'), Buffer.from([1, 2, 3]));
      expectError(file('tiny.safetensors'), /too short/);
    });

    it('header length larger than the file', () => {
      expectError(rawFile('hlen.safetensors', {}, 0, 1000), /header length 1000 is larger than the rest of the file \(2 bytes\)/);
    });

    it('malformed JSON header', () => expectError(rawFile('json.safetensors', '{"a": [1, 2', 0), /malformed JSON header/));

    it('truncated file: data_offsets past the end', () => {
      writeSafetensors(file('trunc.safetensors'), [{ name: 'w', shape: [4, 4], data: new Float32Array(16) }], 'F32');
      truncateSync(file('trunc.safetensors'), readFileSync(file('trunc.safetensors')).length - 10);
      expectError(file('trunc.safetensors'), /tensor "w": data_offsets \[0, 64\] go past the end of the data \(54 bytes\): the file is truncated/);
    });

    it('byte size that does not match shape x dtype', () => {
      const f = rawFile('size.safetensors', { w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 24] } }, 24);
      expectError(f, /tensor "w": holds 24 bytes but shape \[2, 3\] of F16 needs 12/);
    });

    it('unsupported dtype', () => {
      const f = rawFile('i64.safetensors', { ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, 16);
      expectError(f, /tensor "ids": unsupported dtype "I64" \(supported: F32, F16, BF16\)/);
    });

    it('bad shape or offsets', () => {
      expectError(rawFile('shape.safetensors', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape \[-1\]/);
      expectError(rawFile('offs.safetensors', { w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /data_offsets \[4,0\]/);
    });
  });
});
