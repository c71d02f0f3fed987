import { f16BitsToF32 } from './safetensors.js';

/**
 * Byte layouts of the ggml block types read from GGUF files (ggml-common.h),
 * decoded into one common form: integer codes c in sub-blocks of `sub`
 * weights, each sub-block with a float32 scale s and (K-quants with minima) a
 * float32 minimum m;  w = s * c - m  (ggml's dequantize_row_*: d1 * q - m1).
 * f16 fields are little-endian IEEE halves.
 *
 * - Q8_0 (34 bytes / 32): d, int8 c[32]; s = d.
 * - Q4_0 (18 / 32): d, qs[16], weight j in the low nibble of qs[j], j + 16 in
 *   the high one; c = q - 8, s = d.
 * - Q5_0 (22 / 32): d, u32 qh (LE), qs[16] as Q4_0; bit j of qh is the fifth
 *   bit of weight j; c = q - 16, s = d.
 * - Q4_K (144 / 256): d, dmin, scales[12], qs[128]; 8 sub-blocks of 32: sub-block
 *   2i takes the low nibbles of qs[32i .. 32i + 31], 2i + 1 their high nibbles;
 *   6-bit sc_j, m_j unpacked as ggml's get_scale_min_k4; c = q (0..15),
 *   s = d * sc_j, m = dmin * m_j.
 * - Q5_K (176 / 256): d, dmin, scales[12], qh[32], qs[128]; as Q4_K with the
 *   fifth bit of weight l of sub-block j in bit j of qh[l]; c = q (0..31).
 * - Q6_K (210 / 256): ql[128], qh[64], int8 scales[16], d; 16 sub-blocks of 16
 *   (sub-block j has scale d * scales[j]); in each half of 128 weights (ql
 *   advancing by 64, qh by 32), weight l + 32t (l < 32, t < 4) has low bits from
 *   ql[l + 32 (t & 1)] (low nibble for t < 2, high for t >= 2) and high bits
 *   (qh[l] >> 2t) & 3; c = q - 32.
 * Every product d * sc (an f16 times an integer of at most 8 bits) is exact in float32.
 */
export type BlockType = 'q8_0' | 'q4_0' | 'q5_0' | 'q4_k' | 'q5_k' | 'q6_k';

export interface BlockLayout {
  /** Weights per block. */
  readonly weights: number;
  readonly bytes: number;
  /** Weights per sub-block (one scale, and one minimum where `mins`). */
  readonly sub: number;
  readonly mins: boolean;
}

export const BLOCK_LAYOUTS: Readonly<Record<BlockType, BlockLayout>> = {
  q8_0: { weights: 32, bytes: 34, sub: 32, mins: false },
  q4_0: { weights: 32, bytes: 18, sub: 32, mins: false },
  q5_0: { weights: 32, bytes: 22, sub: 32, mins: false },
  q4_k: { weights: 256, bytes: 144, sub: 32, mins: true },
  q5_k: { weights: 256, bytes: 176, sub: 32, mins: true },
  q6_k: { weights: 256, bytes: 210, sub: 16, mins: false },
};

/** A matrix's blocks decoded: weight i = scales[i / sub] * codes[i] - (mins ? mins[i / sub] : 0). */
export interface DecodedBlocks {
  readonly sub: number;
  readonly codes: Int8Array;
  readonly scales: Float32Array;
  readonly mins: Float32Array | null;
}

/** Decodes `count` weights (a multiple of the type's block) stored as consecutive blocks in `data`. */
export function decodeBlocks(type: BlockType, data: Uint8Array, count: number): DecodedBlocks {
  const l = BLOCK_LAYOUTS[type];
  const out = { sub: l.sub, codes: new Int8Array(count), scales: new Float32Array(count / l.sub), mins: l.mins ? new Float32Array(count / l.sub) : null };
  const decode = DECODERS[type];
  for (let b = 0; b < count / l.weights; b++) decode(data, b * l.bytes, out, b);
  return out;
}

/** The float32 weight i of decoded blocks, rounded as ggml's dequantize_row_* rounds it. */
export function weightAt(d: DecodedBlocks, i: number): number {
  const s = (i / d.sub) | 0;
  const sc = Math.fround(d.scales[s] * d.codes[i]);
  return d.mins ? Math.fround(sc - d.mins[s]) : sc;
}

type Out = { codes: Int8Array; scales: Float32Array; mins: Float32Array | null };
type Decoder = (data: Uint8Array, at: number, out: Out, block: number) => void;

function f16(data: Uint8Array, at: number): number {
  return f16BitsToF32(data[at] | (data[at + 1] << 8));
}

function decodeQ8_0(data: Uint8Array, at: number, out: Out, b: number): void {
  out.scales[b] = f16(data, at);
  for (let j = 0; j < 32; j++) out.codes[b * 32 + j] = (data[at + 2 + j] << 24) >> 24;
}

function decodeQ4_0(data: Uint8Array, at: number, out: Out, b: number): void {
  out.scales[b] = f16(data, at);
  for (let j = 0; j < 16; j++) {
    const q = data[at + 2 + j];
    out.codes[b * 32 + j] = (q & 15) - 8;
    out.codes[b * 32 + j + 16] = (q >> 4) - 8;
  }
}

function decodeQ5_0(data: Uint8Array, at: number, out: Out, b: number): void {
  out.scales[b] = f16(data, at);
  const qh = (data[at + 2] | (data[at + 3] << 8) | (data[at + 4] << 16) | (data[at + 5] << 24)) >>> 0;
  for (let j = 0; j < 16; j++) {
    const q = data[at + 6 + j];
    out.codes[b * 32 + j] = ((q & 15) | (((qh >>> j) & 1) << 4)) - 16;
    out.codes[b * 32 + j + 16] = ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16;
  }
}

/** Sub-block j's 6-bit scale and minimum from a K-quant's 12 packed bytes at `at` (ggml's get_scale_min_k4). */
function scaleMinK4(data: Uint8Array, at: number, j: number): [number, number] {
  const q = (i: number) => data[at + i];
  if (j < 4) return [q(j) & 63, q(j + 4) & 63];
  return [(q(j + 4) & 15) | ((q(j - 4) >> 6) << 4), (q(j + 4) >> 4) | ((q(j) >> 6) << 4)];
}

/** Q4_K (highBits false) and Q5_K (true): scales and mins, then codes. */
function decodeK(highBits: boolean): Decoder {
  return (data, at, out, b) => {
    const [d, dmin] = [f16(data, at), f16(data, at + 2)];
    const qs = at + 16 + (highBits ? 32 : 0);
    for (let j = 0; j < 8; j++) {
      const [sc, m] = scaleMinK4(data, at + 4, j);
      out.scales[b * 8 + j] = Math.fround(d * sc);
      (out.mins as Float32Array)[b * 8 + j] = Math.fround(dmin * m);
      for (let l = 0; l < 32; l++) {
        const byte = data[qs + 32 * (j >> 1) + l];
        const low = j & 1 ? byte >> 4 : byte & 15;
        out.codes[b * 256 + 32 * j + l] = highBits ? low | (((data[at + 16 + l] >> j) & 1) << 4) : low;
      }
    }
  };
}

function decodeQ6_K(data: Uint8Array, at: number, out: Out, b: number): void {
  const d = f16(data, at + 208);
  for (let j = 0; j < 16; j++) out.scales[b * 16 + j] = Math.fround(d * ((data[at + 192 + j] << 24) >> 24));
  for (let half = 0; half < 2; half++) {
    const [ql, qh] = [at + 64 * half, at + 128 + 32 * half];
    for (let t = 0; t < 4; t++)
      for (let l = 0; l < 32; l++) {
        const byte = data[ql + l + 32 * (t & 1)];
        const low = t < 2 ? byte & 15 : byte >> 4;
        out.codes[b * 256 + 128 * half + 32 * t + l] = (low | (((data[qh + l] >> (2 * t)) & 3) << 4)) - 32;
      }
  }
}

const DECODERS: Readonly<Record<BlockType, Decoder>> = {
  q8_0: decodeQ8_0,
  q4_0: decodeQ4_0,
  q5_0: decodeQ5_0,
  q4_k: decodeK(false),
  q5_k: decodeK(true),
  q6_k: decodeQ6_K,
};
