import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { TokenizerError } from '../../core/errors.js';
import { GGUF_LAYER_TENSORS } from './gguf.js';
import { GGML_F16, GGML_F32, GGML_QUANT_TYPES, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgufType, TokenType } from './gguf-file.js';
import { LLAMA2C_SPECIALS, type Llama2cVocab } from './llama2c-vocab.js';
import { f32ToF16Bits } from './safetensors.js';
import type { BlockType, QuantType } from './quant.js';
import { convertWeights, dequantizeWeights, inMemory, layerShapes, type Matrix, type ModelWeights } from '../weights.js';

export type GgufDtype = 'F32' | 'F16' | 'Q8_0' | 'Q4_0';

export interface GgufWriteOptions {
  /**
   * Storage type (default F32) of the layer matrices, and for F32 / F16 of the
   * embedding and classifier too. Q8_0 / Q4_0: layer matrices quantized as
   * llama.cpp's reference quantizers do (quant.ts; ones already of that type
   * are written as they are), embedding and classifier F32; a matrix whose rows
   * are not a multiple of 32 long stays F32 (llama.cpp would write F16).
   * Norm gains are always F32, as llama.cpp's converters keep them.
   */
  readonly dtype?: GgufDtype;
  /**
   * Write quantized layer matrices as they are, whatever their block type (for
   * example the K-quants of a llama.cpp file), instead of converting them to
   * `dtype`; float ones still follow `dtype`. Default false.
   */
  readonly keepBlocks?: boolean;
  /** general.name (default: the file name without .gguf). */
  readonly name?: string;
}

/** A metadata entry to write: scalar types, strings (bytes), and arrays of one item type. */
type Kv =
  | { key: string; type: 'u32' | 'i32' | 'f32' | 'bool'; value: number | boolean }
  | { key: string; type: 'str'; value: Uint8Array }
  | { key: string; type: 'str[]'; value: readonly Uint8Array[] }
  | { key: string; type: 'f32[]'; value: Float32Array }
  | { key: string; type: 'i32[]'; value: Int32Array };

interface TensorOut {
  readonly name: string;
  readonly ne: readonly number[]; // ggml order (innermost first)
  readonly data: Float32Array | Uint8Array; // values, or the blocks of a quantized type
  readonly type: number;
}

/** llama.cpp's LLAMA_FTYPE: all F32 = 0, mostly F16 = 1, mostly Q4_0 = 2, mostly Q8_0 = 7. */
const FILE_TYPE: Record<GgufDtype, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7 };
const QUANT_DTYPES: Partial<Record<GgufDtype, QuantType>> = { Q8_0: 'q8_0', Q4_0: 'q4_0' };
const GGML_TYPE_OF = Object.fromEntries(Object.entries(GGML_QUANT_TYPES).map(([id, t]) => [t, Number(id)])) as Record<BlockType, number>;
const SPM_SPACE = Buffer.from('\u2581', 'utf8');
const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;

/**
 * Writes `weights` and its tokenizer as a GGUF v3 file that llama.cpp loads as
 * architecture "llama" and that readGguf reads back exactly (F32) or rounded
 * to F16 (dtype F16). Tensors and metadata follow llama.cpp's names
 * (token_embd, blk.N.attn_q, ..., output_norm; output.weight only when the
 * classifier is not tied, llama.cpp then uses token_embd). Q/K rows are written
 * in LlamaWeights' adjacent-pairs layout, which is GGUF's (see gguf.ts).
 *
 * Tokenizer (tokenizer.ggml.model "llama"): the pieces with ' ' written as
 * U+2581, scores, token types (1 normal, 2 unknown, 3 control, 6 byte for
 * `<0xNN>`), unk/BOS/EOS ids and add_bos_token. A llama2.c vocabulary's ids
 * 0, 1, 2 become "<unk>", "<s>", "</s>" (tok512.bin spells them "\n<s>\n" ...),
 * as llama.cpp's convert-llama2c-to-ggml does.
 * The file is written to FILE.part and renamed when complete.
 */
export function writeGguf(file: string, model: ModelWeights, vocab: Llama2cVocab, opts: GgufWriteOptions = {}): void {
  const quant = QUANT_DTYPES[opts.dtype ?? 'F32'];
  const weights = opts.keepBlocks ? model : quant ? convertWeights(model, quant) : dequantizeWeights(model);
  const c = weights.config;
  if (vocab.pieces.length !== c.vocabSize) {
    throw new TokenizerError(vocab.file, `the vocabulary has ${vocab.pieces.length} pieces but the model has vocab size ${c.vocabSize}`);
  }
  const dtype = opts.dtype ?? 'F32';
  const name = opts.name ?? path.basename(file).replace(/\.gguf$/, '');
  const kvs = [...modelKvs(weights, name, dtype), ...tokenizerKvs(vocab)];
  const tensors = llamaTensors(weights, dtype);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const part = `${file}.part`;
  const fd = openSync(part, 'w');
  try {
    writeAll(fd, kvs, tensors);
  } finally {
    closeSync(fd);
  }
  renameSync(part, file);
}

function modelKvs(w: ModelWeights, name: string, dtype: GgufDtype): Kv[] {
  const c = w.config;
  const u32 = (key: string, value: number): Kv => ({ key, type: 'u32', value });
  const f32 = (key: string, value: number): Kv => ({ key, type: 'f32', value });
  return [
    { key: 'general.architecture', type: 'str', value: utf8('llama') },
    { key: 'general.name', type: 'str', value: utf8(name) },
    u32('general.alignment', GGUF_DEFAULT_ALIGNMENT),
    u32('general.file_type', FILE_TYPE[dtype]),
    u32('llama.vocab_size', c.vocabSize),
    u32('llama.context_length', c.maxSeqLen),
    u32('llama.embedding_length', c.dim),
    u32('llama.block_count', c.nLayers),
    u32('llama.feed_forward_length', c.hiddenDim),
    u32('llama.attention.head_count', c.nHeads),
    u32('llama.attention.head_count_kv', c.nKvHeads),
    u32('llama.rope.dimension_count', c.dim / c.nHeads),
    f32('llama.attention.layer_norm_rms_epsilon', c.normEps),
    f32('llama.rope.freq_base', c.ropeTheta),
  ];
}

function tokenizerKvs(vocab: Llama2cVocab): Kv[] {
  const special = vocab.special ?? LLAMA2C_SPECIALS;
  const control = new Set(special.controlIds);
  const types = new Int32Array(vocab.pieces.length);
  const llama2cNames = vocab.special ? null : ['<unk>', '<s>', '</s>'];
  const pieces = vocab.pieces.map((p, id) => {
    const bytes = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    if (id === special.unkId || control.has(id)) {
      types[id] = id === special.unkId ? TokenType.UNKNOWN : TokenType.CONTROL;
      return llama2cNames && id < 3 ? utf8(llama2cNames[id]) : bytes;
    }
    if (BYTE_PIECE.test(bytes.toString('latin1'))) {
      types[id] = TokenType.BYTE;
      return bytes;
    }
    types[id] = TokenType.NORMAL;
    return spaceToSpm(bytes);
  });
  const u32 = (key: string, value: number): Kv => ({ key, type: 'u32', value });
  const kvs: Kv[] = [
    { key: 'tokenizer.ggml.model', type: 'str', value: utf8('llama') },
    { key: 'tokenizer.ggml.tokens', type: 'str[]', value: pieces },
    { key: 'tokenizer.ggml.scores', type: 'f32[]', value: vocab.scores },
    { key: 'tokenizer.ggml.token_type', type: 'i32[]', value: types },
    u32('tokenizer.ggml.bos_token_id', special.bosId),
    u32('tokenizer.ggml.eos_token_id', special.eosId),
  ];
  if (special.unkId >= 0) kvs.push(u32('tokenizer.ggml.unknown_token_id', special.unkId));
  kvs.push({ key: 'tokenizer.ggml.add_bos_token', type: 'bool', value: true }, { key: 'tokenizer.ggml.add_eos_token', type: 'bool', value: false });
  return kvs;
}

function llamaTensors(w: ModelWeights, dtype: GgufDtype): TensorOut[] {
  const c = w.config;
  const matType = dtype === 'F16' ? GGML_F16 : GGML_F32;
  const t = (name: string, shape: readonly number[], matrix: Matrix, type = matType): TensorOut => {
    const m = inMemory(matrix);
    if (!(m instanceof Float32Array)) return { name, ne: [m.cols, m.rows], data: m.data, type: GGML_TYPE_OF[m.type] };
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== m.length) throw new RangeError(`tensor "${name}": shape [${shape.join(', ')}] needs ${count} values, got ${m.length}`);
    return { name, ne: [...shape].reverse(), data: m, type };
  };
  const shapes = layerShapes(c);
  const out = [t('token_embd.weight', [c.vocabSize, c.dim], w.tokenEmbedding)];
  w.layers.forEach((l, i) => {
    for (const [field, name] of GGUF_LAYER_TENSORS) {
      const isNorm = name.endsWith('_norm');
      out.push(t(`blk.${i}.${name}.weight`, shapes[field], l[field], isNorm ? GGML_F32 : matType));
    }
  });
  out.push(t('output_norm.weight', [c.dim], w.finalNorm, GGML_F32));
  if (w.classifier !== w.tokenEmbedding) out.push(t('output.weight', [c.vocabSize, c.dim], w.classifier));
  return out;
}

// ---------------------------------------------------------------- encoding

function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

/** Every 0x20 byte of a piece as U+2581 (SentencePiece's visible space). */
function spaceToSpm(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(0x20)) return bytes;
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x20) continue;
    parts.push(bytes.subarray(start, i), SPM_SPACE);
    start = i + 1;
  }
  parts.push(bytes.subarray(start));
  return new Uint8Array(Buffer.concat(parts));
}

/** Growable little-endian byte sink for the header. */
class Sink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  // room() may replace this.buf: call it before reading this.buf (`this.buf.x(v, this.room(n))` would write to the old buffer).
  u8(v: number): void {
    const at = this.room(1);
    this.buf.writeUInt8(v, at);
  }
  u32(v: number): void {
    const at = this.room(4);
    this.buf.writeUInt32LE(v, at);
  }
  i32(v: number): void {
    const at = this.room(4);
    this.buf.writeInt32LE(v, at);
  }
  f32(v: number): void {
    const at = this.room(4);
    this.buf.writeFloatLE(v, at);
  }
  u64(v: number): void {
    const at = this.room(8);
    this.buf.writeBigUInt64LE(BigInt(v), at);
  }
  bytes(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buf.set(b, at);
  }
  str(b: Uint8Array): void {
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    this.room((alignment - (this.length % alignment)) % alignment);
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeKv(s: Sink, kv: Kv): void {
  s.str(utf8(kv.key));
  const array = (itemType: number, n: number): void => {
    s.u32(GgufType.ARRAY);
    s.u32(itemType);
    s.u64(n);
  };
  switch (kv.type) {
    case 'u32':
      s.u32(GgufType.UINT32);
      s.u32(kv.value as number);
      break;
    case 'i32':
      s.u32(GgufType.INT32);
      s.i32(kv.value as number);
      break;
    case 'f32':
      s.u32(GgufType.FLOAT32);
      s.f32(kv.value as number);
      break;
    case 'bool':
      s.u32(GgufType.BOOL);
      s.u8(kv.value ? 1 : 0);
      break;
    case 'str':
      s.u32(GgufType.STRING);
      s.str(kv.value);
      break;
    case 'str[]':
      array(GgufType.STRING, kv.value.length);
      for (const v of kv.value) s.str(v);
      break;
    case 'f32[]':
      array(GgufType.FLOAT32, kv.value.length);
      for (const v of kv.value) s.f32(v);
      break;
    case 'i32[]':
      array(GgufType.INT32, kv.value.length);
      for (const v of kv.value) s.i32(v);
      break;
  }
}

function tensorBytes(t: TensorOut): number {
  return t.data instanceof Uint8Array ? t.data.length : t.data.length * (t.type === GGML_F16 ? 2 : 4);
}

/** Header, metadata, tensor infos, padding, then each tensor padded to the alignment. */
function writeAll(fd: number, kvs: readonly Kv[], tensors: readonly TensorOut[]): void {
  const align = GGUF_DEFAULT_ALIGNMENT;
  const s = new Sink();
  s.bytes(Buffer.from(GGUF_MAGIC, 'latin1'));
  s.u32(GGUF_VERSION);
  s.u64(tensors.length);
  s.u64(kvs.length);
  for (const kv of kvs) writeKv(s, kv);
  let offset = 0;
  for (const t of tensors) {
    s.str(utf8(t.name));
    s.u32(t.ne.length);
    for (const d of t.ne) s.u64(d);
    s.u32(t.type);
    s.u64(offset);
    offset += Math.ceil(tensorBytes(t) / align) * align;
  }
  s.pad(align);
  writeFully(fd, s.view());
  const zeros = new Uint8Array(align);
  for (const t of tensors) {
    const bytes = encodeTensor(t);
    writeFully(fd, bytes);
    writeFully(fd, zeros.subarray(0, (align - (bytes.length % align)) % align));
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}

function encodeTensor(t: TensorOut): Uint8Array {
  const d = t.data;
  if (d instanceof Uint8Array) return d;
  if (t.type === GGML_F32) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const out = Buffer.alloc(d.length * 2);
  for (let i = 0; i < d.length; i++) out.writeUInt16LE(f32ToF16Bits(d[i]), 2 * i);
  return out;
}
