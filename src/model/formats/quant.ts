import { BLOCK_LAYOUTS, decodeBlocks, weightAt, type BlockType } from './quant-blocks.js';
import { f32ToF16Bits } from './safetensors.js';
import { withLazyData } from './bounds.js';

export type { BlockType } from './quant-blocks.js';

/**
 * GGUF block quantization (ggml's Q8_0 and Q4_0), bit-exact with llama.cpp's
 * reference quantizers (ggml-quants.c quantize_row_q8_0_ref / _q4_0_ref):
 * every step in float32 (Math.fround), d stored as IEEE half (round to nearest even).
 *
 * Q8_0 block, 34 bytes: d (f16 LE) then 32 int8 codes c;  w = c * d.
 *   d = amax / 127, c = roundf(x / d) (ties away from zero), computed as x * (1/d).
 * Q4_0 block, 18 bytes: d (f16 LE) then 16 bytes; byte j holds weight j in its
 *   low nibble and weight j + 16 in its high nibble;  w = (q - 8) * d.
 *   d = max / -8 with max the signed value of largest magnitude (the first one on ties),
 *   q = min(15, trunc(x / d + 8.5)), computed as x * (1/d).
 * Both: 1/d is 0 when d is 0 (an all-zero block gets codes 0, resp. 8).
 */
export type QuantType = 'q8_0' | 'q4_0';
export const QUANT_TYPES: readonly QuantType[] = ['q8_0', 'q4_0'];

/** Weights per block. */
export const QK = 32;

/** Bytes per block. */
export const BLOCK_BYTES: Readonly<Record<QuantType, number>> = { q8_0: 2 + QK, q4_0: 2 + QK / 2 };

/** Storage of one weight matrix's elements: float32, or one of the block types. */
export type WeightsType = QuantType | 'f32';

/**
 * A row-major [rows, cols] matrix (y = W x) in GGUF block form: each row is
 * cols / w blocks of b bytes ([w, b] = BLOCK_LAYOUTS[type] weights and bytes),
 * rows one after the other (byte for byte a ggml tensor of ne = [cols, rows]).
 * Only Q8_0 and Q4_0 are written by `quantize`; the other block types are read from GGUF files.
 */
export interface QuantMatrix {
  readonly type: BlockType;
  readonly rows: number;
  readonly cols: number;
  /**
   * [rows, cols / w, b] blocks. Matrices read from a model file may read them
   * from the file on each access (lazyQuantMatrix): read `data` once per use.
   */
  readonly data: Uint8Array;
}

/**
 * A QuantMatrix whose blocks stay in a file until used: each access of `data`
 * calls `read` (a fresh array), so a loaded model's quantized matrices hold no
 * memory while onnxruntime, which has its own copy, runs them.
 */
export function lazyQuantMatrix(type: BlockType, rows: number, cols: number, read: () => Uint8Array): QuantMatrix {
  return withLazyData({ type, rows, cols }, read);
}

/** Bytes of a [rows, cols] matrix of `type` (cols a multiple of the type's block). */
export function quantBytes(type: BlockType, rows: number, cols: number): number {
  const l = BLOCK_LAYOUTS[type];
  return rows * (cols / l.weights) * l.bytes;
}

/** Quantizes a row-major [rows, cols] float matrix; cols must be a multiple of 32 (RangeError otherwise). */
export function quantize(type: QuantType, w: Float32Array, rows: number, cols: number): QuantMatrix {
  if (cols % QK !== 0 || w.length !== rows * cols) {
    throw new RangeError(`cannot quantize a [${rows}, ${cols}] matrix of ${w.length} values to ${type}: columns must be a multiple of ${QK}`);
  }
  const blocks = w.length / QK;
  const data = new Uint8Array(blocks * BLOCK_BYTES[type]);
  const block = type === 'q8_0' ? quantizeBlockQ8 : quantizeBlockQ4;
  for (let b = 0; b < blocks; b++) block(w, b * QK, data, b * BLOCK_BYTES[type]);
  return { type, rows, cols, data };
}

/** The float32 weights of a quantized matrix as ggml's dequantize_row_* computes them, row-major [rows, cols]. */
export function dequantize(m: QuantMatrix): Float32Array {
  const d = decodeBlocks(m.type, m.data, m.rows * m.cols);
  const out = new Float32Array(m.rows * m.cols);
  for (let i = 0; i < out.length; i++) out[i] = weightAt(d, i);
  return out;
}

function writeScale(out: Uint8Array, at: number, d: number): void {
  const h = f32ToF16Bits(d);
  out[at] = h & 0xff;
  out[at + 1] = h >> 8;
}

/** C's roundf: to nearest, halves away from zero. */
function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function quantizeBlockQ8(x: Float32Array, from: number, out: Uint8Array, at: number): void {
  let amax = 0;
  for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[from + j]));
  const d = Math.fround(amax / 127);
  const id = d !== 0 ? Math.fround(1 / d) : 0;
  writeScale(out, at, d);
  for (let j = 0; j < QK; j++) out[at + 2 + j] = roundAway(Math.fround(x[from + j] * id)) & 0xff;
}

function quantizeBlockQ4(x: Float32Array, from: number, out: Uint8Array, at: number): void {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < QK; j++) {
    const v = x[from + j];
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  const d = Math.fround(max / -8);
  const id = d !== 0 ? Math.fround(1 / d) : 0;
  writeScale(out, at, d);
  const code = (v: number) => Math.min(15, Math.trunc(Math.fround(Math.fround(v * id) + 8.5)));
  for (let j = 0; j < QK / 2; j++) out[at + 2 + j] = code(x[from + j]) | (code(x[from + j + QK / 2]) << 4);
}
