import { existsSync, statSync, writeFileSync } from 'node:fs';
import { ModelFileError } from '../../core/errors.js';
import { brief, checkedProduct, checkFits, readBytes } from './bounds.js';

/**
 * The safetensors format (https://github.com/huggingface/safetensors):
 * u64 little-endian N, then N bytes of UTF-8 JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}`,
 * then the data section; offsets are bytes relative to the start of the data
 * section, tensors are row-major and little-endian.
 *
 * Only float tensors are supported: F32, F16 and BF16, all read as Float32Array.
 * Byte copies assume a little-endian host (x86, ARM: every Node.js target in practice).
 */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface SafetensorsTensor {
  /** The dtype stored in the file (the data is converted to float32). */
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly data: Float32Array; // [product of shape]
}

export interface SafetensorsInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array; // [product of shape], row-major
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function isDtype(s: unknown): s is SafetensorsDtype {
  return s === 'F32' || s === 'F16' || s === 'BF16';
}

// ---------------------------------------------------------------- conversions

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits -> number (exact: subnormals, +-0, +-inf, NaN). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** number -> IEEE binary16 bits, rounding the float32 value to nearest, ties to even. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf / quiet NaN
  const e = exp - 112; // binary16 biased exponent (127 - 15)
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e >= 1) return sign | roundShift((e << 23) | mant, 13); // normal; a carry may reach inf, as it should
  // binary16 subnormal: value = m * 2^-24 with m = (1.mant * 2^23) >> (126 - exp)
  const shift = 126 - exp;
  if (shift > 24) return sign; // below half the smallest subnormal: +-0
  return sign | roundShift(0x800000 | mant, shift);
}

/** v >> s, rounded to nearest with ties to even (0 < s <= 24, v < 2^31). */
function roundShift(v: number, s: number): number {
  const half = 1 << (s - 1);
  const rem = v & ((1 << s) - 1);
  let r = v >>> s;
  if (rem > half || (rem === half && r & 1)) r++;
  return r;
}

/** bfloat16 bits -> number (the top 16 bits of a float32). */
export function bf16BitsToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** number -> bfloat16 bits, rounding the float32 value to nearest, ties to even. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40; // NaN stays a (quiet) NaN
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

let f16Table: Float32Array | null = null;

/** Converts `n` little-endian 16-bit values at `bytes` to float32. */
export function decode16(bytes: Uint8Array, n: number, dtype: 'F16' | 'BF16'): Float32Array {
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
    return out;
  }
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32(h);
  }
  for (let i = 0; i < n; i++) out[i] = f16Table[view.getUint16(2 * i, true)];
  return out;
}

// ---------------------------------------------------------------- reader

/** Reads every tensor of a safetensors file; throws ModelFileError naming `file` on any defect. */
export function readSafetensors(file: string): Map<string, SafetensorsTensor> {
  return new Map([...openSafetensors(file)].map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: t.read() }]));
}

/** A tensor of a checked safetensors header whose data is read from the file when asked. */
export interface LazySafetensorsTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  /** The tensor's values as float32, read from the file now (one read of its bytes, no whole-file buffer). */
  read(): Float32Array;
}

/**
 * The tensors of a safetensors file, their header checked (ModelFileError naming
 * `file` on any defect) and their data not yet read: a loader can read, convert
 * and drop one tensor at a time, so a file is never held whole in memory.
 */
export function openSafetensors(file: string): Map<string, LazySafetensorsTensor> {
  if (!existsSync(file)) throw new ModelFileError(file, 'file not found');
  const fail = (problem: string): never => {
    throw new ModelFileError(file, `${problem} (is this a complete safetensors file?)`);
  };
  const size = statSync(file).size;
  if (size < 8) fail(`file is ${size} bytes, too short for the 8-byte header length`);
  const headerLen = readBytes(file, 0, 8).readBigUInt64LE(0);
  if (headerLen > BigInt(size - 8)) {
    fail(`header length ${headerLen} is larger than the rest of the file (${size - 8} bytes)`);
  }
  const dataStart = 8 + Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(readBytes(file, 8, Number(headerLen))));
  } catch (e) {
    fail(e instanceof SyntaxError ? `malformed JSON header: ${e.message}` : 'the JSON header is not valid UTF-8');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the JSON header is not an object');
  const entries = Object.entries(header as Record<string, unknown>).filter(([name]) => name !== '__metadata__');
  const spans = entries.map(([name, entry]) => ({ name, ...checkEntry(file, name, entry, size - dataStart) }));
  checkNoOverlap(file, spans);
  return new Map(spans.map((s) => [s.name, { dtype: s.dtype, shape: s.shape, read: () => readTensor(file, dataStart, s) }]));
}

/** A header entry, checked: dtype, shape and its byte range in the data section. */
interface TensorSpan {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly count: number; // product of shape
  readonly begin: number;
  readonly end: number;
}

function checkNoOverlap(file: string, spans: readonly TensorSpan[]): void {
  const sorted = spans.filter((s) => s.end > s.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.begin < a.end) {
      throw new ModelFileError(file, `tensors "${a.name}" (data_offsets [${a.begin}, ${a.end}]) and "${b.name}" ([${b.begin}, ${b.end}]) overlap`);
    }
  }
}

/** Validates one header entry against the `dataBytes` of the data section. */
function checkEntry(file: string, name: string, entry: unknown, dataBytes: number): Omit<TensorSpan, 'name'> {
  const fail = (problem: string): never => {
    throw new ModelFileError(file, `tensor "${name}": ${problem}`);
  };
  const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  const { dtype, shape, data_offsets: offsets } = e;
  if (!isDtype(dtype)) fail(`unsupported dtype ${brief(dtype)} (supported: F32, F16, BF16)`);
  const dt = dtype as SafetensorsDtype;
  const isDim = (d: unknown): boolean => Number.isSafeInteger(d) && (d as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isDim)) fail(`shape ${brief(shape)} is not a list of sizes`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDim) || offsets[0] > offsets[1]) {
    fail(`data_offsets ${brief(offsets)} are not [begin, end] with begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  const count = checkedProduct(file, `tensor "${name}": the element count of shape [${dims.join(', ')}]`, dims);
  if (end > dataBytes) {
    fail(`data_offsets [${begin}, ${end}] go past the end of the data (${dataBytes} bytes): the file is truncated`);
  }
  checkFits(file, `tensor "${name}" (${dt}, shape [${dims.join(', ')}])`, count, count * BYTES[dt], dataBytes);
  if (end - begin !== count * BYTES[dt]) {
    fail(`holds ${end - begin} bytes but shape [${dims.join(', ')}] of ${dt} needs ${count * BYTES[dt]}`);
  }
  return { dtype: dt, shape: dims, count, begin, end };
}

/** Reads a checked tensor of `file` (data section at `dataStart`) as float32. */
function readTensor(file: string, dataStart: number, t: TensorSpan): Float32Array {
  const length = t.end - t.begin;
  if (t.dtype !== 'F32') return decode16(readBytes(file, dataStart + t.begin, length), t.count, t.dtype);
  const f = new Float32Array(t.count);
  readBytes(file, dataStart + t.begin, length, new Uint8Array(f.buffer));
  return f;
}

// ---------------------------------------------------------------- writer

/** Encodes `src` as `dtype` little-endian bytes (F16/BF16: round to nearest even). */
function encode(src: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength));
  const out = new Uint8Array(src.length * 2);
  const view = new DataView(out.buffer);
  const conv = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < src.length; i++) view.setUint16(2 * i, conv(src[i]), true);
  return out;
}

/**
 * Writes `tensors` (in the given order) to `file` as `dtype`. The header is
 * padded with spaces to a multiple of 8 bytes so the data section is aligned.
 */
export function writeSafetensors(file: string, tensors: readonly SafetensorsInput[], dtype: SafetensorsDtype, metadata: Record<string, string> = { format: 'pt' }): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new RangeError(`tensor "${t.name}": shape [${t.shape.join(', ')}] needs ${count} values, got ${t.data.length}`);
    }
    if (t.name in header) throw new RangeError(`tensor "${t.name}" is given twice`);
    const bytes = encode(t.data, dtype);
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json, 'utf8')));
  writeFileSync(file, Buffer.concat([head, Buffer.from(json, 'utf8'), ...chunks]));
}
