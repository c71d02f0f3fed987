import { closeSync, existsSync, fstatSync, openSync, statSync } from 'node:fs';
import { ModelFileError } from '../../core/errors.js';
import { checkedProduct, checkFits, readFully } from './bounds.js';
import type { BlockType } from './quant-blocks.js';

/**
 * The GGUF container (llama.cpp's model format, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md),
 * version 2 and 3, little-endian:
 *
 *   "GGUF", u32 version, u64 tensor count, u64 metadata count,
 *   metadata: (string key, u32 value type, value)*      string = u64 length + UTF-8 bytes,
 *                                                        array = u32 item type + u64 count + items
 *   tensor infos: (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset)*
 *   padding to `general.alignment` (default 32), then the tensor data (offsets are relative to it).
 *
 * ne[0] is the innermost (contiguous) dimension, so a ggml [ne0 = in, ne1 = out]
 * matrix is our row-major [out, in] (y = W x) byte for byte: no transposition.
 */
export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types. */
export const GgufType = Object.freeze({
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
});

/** ggml tensor types this project reads and writes, and names of the others for error messages. */
export const GGML_F32 = 0;
export const GGML_F16 = 1;
const GGML_Q4_0 = 2;
const GGML_Q8_0 = 8;
/** The block types read (quant-blocks.ts; Q8_0 and Q4_0 are also written), by ggml type. */
export const GGML_QUANT_TYPES: Readonly<Record<number, BlockType>> = {
  [GGML_Q4_0]: 'q4_0',
  6: 'q5_0',
  [GGML_Q8_0]: 'q8_0',
  12: 'q4_k',
  13: 'q5_k',
  14: 'q6_k',
};
const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
  34: 'TQ1_0',
  35: 'TQ2_0',
  39: 'MXFP4',
};

/**
 * [elements per block, bytes per block] of ggml types with a known layout;
 * other types are bounded below by 1 bit per element (no ggml type uses less).
 */
const GGML_BLOCKS: Readonly<Record<number, readonly [number, number]>> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 36],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  24: [1, 1],
  25: [1, 2],
  26: [1, 4],
  27: [1, 8],
  28: [1, 8],
  30: [1, 2],
};
const MIN_BLOCK: readonly [number, number] = [8, 1];

/** tokenizer.ggml.token_type values (llama.cpp's llama_token_type). */
export const TokenType = Object.freeze({ NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 });

/**
 * A metadata value. Strings are *byte strings* (one char per byte, latin1),
 * so token pieces keep their exact bytes; `text()` decodes one as UTF-8.
 */
export type GgufValue = number | bigint | boolean | string | readonly GgufValue[];

export interface GgufEntry {
  readonly type: number; // GgufType
  readonly itemType?: number; // arrays only
  readonly value: GgufValue;
}

interface GgufTensorInfo {
  readonly name: string;
  readonly ne: readonly number[]; // ggml order: innermost first
  readonly type: number; // ggml type
  readonly offset: number; // bytes, relative to the data section
}

export interface GgufFile {
  readonly file: string;
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufEntry>;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  readonly alignment: number;
  readonly dataOffset: number; // absolute byte offset of the data section
  readonly size: number; // bytes of the file when it was read
}

/** A byte string (latin1) as UTF-8 text. */
export function text(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

export function ggmlTypeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `type ${type}`;
}

// ---------------------------------------------------------------- container

/**
 * Reads and validates the GGUF container (header, metadata, tensor infos),
 * reading only the file's head: tensor data are read later, by offset
 * (`dataOffset` + a tensor's offset). Throws ModelFileError naming `file`.
 */
export function readGgufFile(file: string): GgufFile {
  if (!existsSync(file)) throw new ModelFileError(file, 'GGUF file not found');
  if (!statSync(file).isFile()) throw new ModelFileError(file, 'is not a file (expected a .gguf model)');
  const fd = openSync(file, 'r');
  try {
    return readContainer(new Cursor(file, fd, fstatSync(fd).size));
  } finally {
    closeSync(fd);
  }
}

function readContainer(r: Cursor): GgufFile {
  const file = r.file;
  const magic = r.latin1(Math.min(4, r.size));
  if (magic !== GGUF_MAGIC) throw new ModelFileError(file, `not a GGUF file: it starts with ${JSON.stringify(magic)}, not the magic "GGUF"`);
  const version = r.u32('version');
  if (version !== 2 && version !== 3) {
    throw new ModelFileError(file, `unsupported GGUF version ${version} (supported: 2 and 3${version === 1 ? '; version 1 files predate August 2023, re-convert the model' : ''})`);
  }
  const nTensors = r.items('tensor count');
  const nKv = r.items('metadata count');
  const metadata = new Map<string, GgufEntry>();
  for (let i = 0; i < nKv; i++) {
    const key = text(r.string(`metadata key ${i}`));
    const type = r.u32(`type of "${key}"`);
    if (type === GgufType.ARRAY) {
      const itemType = r.u32(`item type of "${key}"`);
      const n = r.items(`length of "${key}"`);
      const items: GgufValue[] = new Array<GgufValue>(n);
      for (let j = 0; j < n; j++) items[j] = r.value(itemType, key);
      metadata.set(key, { type, itemType, value: items });
    } else {
      metadata.set(key, { type, value: r.value(type, key) });
    }
  }
  const tensors = new Map<string, GgufTensorInfo>();
  for (let i = 0; i < nTensors; i++) {
    const name = text(r.string(`tensor name ${i}`));
    const nDims = r.u32(`dimension count of tensor "${name}"`);
    if (nDims < 1 || nDims > 4) throw new ModelFileError(file, `tensor "${name}" has ${nDims} dimensions (GGUF allows 1 to 4)`);
    const ne = Array.from({ length: nDims }, () => r.count(`shape of tensor "${name}"`));
    if (ne.includes(0)) throw new ModelFileError(file, `tensor "${name}" has a zero dimension (ggml shape [${ne.join(', ')}])`);
    const type = r.u32(`type of tensor "${name}"`);
    const offset = r.count(`offset of tensor "${name}"`);
    if (tensors.has(name)) throw new ModelFileError(file, `tensor "${name}" appears twice in the tensor infos`);
    tensors.set(name, { name, ne, type, offset });
  }
  const align = metadata.get('general.alignment');
  const alignment = align === undefined ? GGUF_DEFAULT_ALIGNMENT : Number(align.value);
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw new ModelFileError(file, `general.alignment ${String(align?.value)} is not a positive multiple of 8`);
  }
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  checkTensorSpans(file, [...tensors.values()], r.size - dataOffset);
  return { file, version, metadata, tensors, alignment, dataOffset, size: r.size };
}

/**
 * Checks that every tensor's bytes (exact for known ggml types, at least 1 bit
 * per element for others) lie inside the `dataBytes` of the data section and
 * that no two tensors overlap.
 */
function checkTensorSpans(file: string, tensors: readonly GgufTensorInfo[], dataBytes: number): void {
  const spans = tensors.map((t) => {
    const what = `tensor "${t.name}"`;
    const count = checkedProduct(file, `the element count of ${what}`, t.ne);
    const [perBlock, blockBytes] = GGML_BLOCKS[t.type] ?? MIN_BLOCK;
    const size = Math.ceil(count / perBlock) * blockBytes;
    checkFits(file, `${what} (${ggmlTypeName(t.type)}, ggml shape [${t.ne.join(', ')}])`, count, size, dataBytes);
    if (t.offset > dataBytes - size) {
      throw new ModelFileError(
        file,
        `truncated: ${what} needs bytes ${t.offset}..${t.offset + size} of the data section but it has ${Math.max(0, dataBytes)} (re-download or re-export it)`,
      );
    }
    return { name: t.name, start: t.offset, end: t.offset + size };
  });
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const [a, b] = [spans[i - 1], spans[i]];
    if (b.start < a.end) throw new ModelFileError(file, `tensors "${a.name}" (bytes ${a.start}..${a.end}) and "${b.name}" (${b.start}..${b.end}) overlap`);
  }
}

/**
 * Sequential little-endian reads of an open file of `size` bytes, loading its
 * head into a buffer that grows as the cursor passes its end; running past
 * the end of the file is a "truncated" ModelFileError.
 */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(0); // bytes [0, buf.byteLength) of the file

  constructor(
    readonly file: string,
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** The position of the next `n` bytes, loaded; the cursor moves past them. */
  private need(n: number, what: string): number {
    if (this.pos + n > this.size) {
      throw new ModelFileError(this.file, `truncated: the file ends (${this.size} bytes) while reading ${what} at byte ${this.pos}`);
    }
    this.load(this.pos + n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Makes bytes [0, end) available, reading at least double what is loaded (64 KiB at first). */
  private load(end: number): void {
    const have = this.buf.byteLength;
    if (end <= have) return;
    const next = Buffer.allocUnsafe(Math.min(this.size, Math.max(end, 2 * have, 1 << 16)));
    this.buf.copy(next);
    readFully(this.fd, next.subarray(have), have, (done) => new ModelFileError(this.file, `truncated: the file ended at byte ${have + done} while being read (was it changed?)`));
    this.buf = next;
  }

  /** `f` of the buffer holding the next `n` bytes and their position (the buffer may be replaced by loading: never read one fetched before). */
  private read<T>(n: number, what: string, f: (b: Buffer, at: number) => T): T {
    const at = this.need(n, what);
    return f(this.buf, at);
  }

  /** The next `n` bytes as a byte string. */
  latin1(n: number): string {
    return this.read(n, 'the magic', (b, at) => b.toString('latin1', at, at + n));
  }

  u32(what: string): number {
    return this.read(4, what, (b, at) => b.readUInt32LE(at));
  }

  /** A u64 used as a count, size or offset (must be a safe integer). */
  count(what: string): number {
    const v = this.read(8, what, (b, at) => b.readBigUInt64LE(at));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFileError(this.file, `${what} is ${v}, impossibly large (corrupt file)`);
    return Number(v);
  }

  /** A count of items of at least one byte each, which must fit in the rest of the file. */
  items(what: string): number {
    const n = this.count(what);
    if (n > this.size - this.pos) {
      throw new ModelFileError(this.file, `truncated: ${what} is ${n} but only ${this.size - this.pos} bytes are left`);
    }
    return n;
  }

  string(what: string): string {
    const n = this.count(`length of ${what}`);
    return this.read(n, what, (b, at) => b.toString('latin1', at, at + n));
  }

  value(type: number, key: string): GgufValue {
    const what = `the value of "${key}"`;
    switch (type) {
      case GgufType.UINT8:
        return this.read(1, what, (b, at) => b.readUInt8(at));
      case GgufType.INT8:
        return this.read(1, what, (b, at) => b.readInt8(at));
      case GgufType.UINT16:
        return this.read(2, what, (b, at) => b.readUInt16LE(at));
      case GgufType.INT16:
        return this.read(2, what, (b, at) => b.readInt16LE(at));
      case GgufType.UINT32:
        return this.read(4, what, (b, at) => b.readUInt32LE(at));
      case GgufType.INT32:
        return this.read(4, what, (b, at) => b.readInt32LE(at));
      case GgufType.FLOAT32:
        return this.read(4, what, (b, at) => b.readFloatLE(at));
      case GgufType.BOOL:
        return this.read(1, what, (b, at) => b.readUInt8(at) !== 0);
      case GgufType.STRING:
        return this.string(what);
      case GgufType.UINT64:
        return this.read(8, what, (b, at) => b.readBigUInt64LE(at));
      case GgufType.INT64:
        return this.read(8, what, (b, at) => b.readBigInt64LE(at));
      case GgufType.FLOAT64:
        return this.read(8, what, (b, at) => b.readDoubleLE(at));
      default:
        throw new ModelFileError(this.file, `metadata "${key}" has unknown value type ${type} (nested arrays are not supported)`);
    }
  }
}
