import { f32ToF16Bits } from '../../src/model/formats/safetensors.js';

/**
 * Writes ggml blocks from chosen integer fields (the inverse of
 * src/model/quant-blocks.ts, written from ggml-common.h's structs for tests):
 * `q` are the stored unsigned codes (Q4_K 0..15, Q5_K 0..31, Q6_K 0..63,
 * Q5_0 0..31), `sc` / `m` the 6-bit (Q4_K, Q5_K) or int8 (Q6_K) sub-block
 * scales and minima, `d` / `dmin` the f16 super-block scales.
 */
export interface KBlock {
  readonly d: number;
  readonly dmin?: number;
  readonly sc: readonly number[];
  readonly m?: readonly number[];
  readonly q: readonly number[];
}

function putF16(out: Uint8Array, at: number, x: number): void {
  const h = f32ToF16Bits(x);
  out[at] = h & 0xff;
  out[at + 1] = h >> 8;
}

/** The 12 bytes of 8 six-bit scales and minima (ggml's get_scale_min_k4 reads them back). */
function packScalesMins(out: Uint8Array, at: number, sc: readonly number[], m: readonly number[]): void {
  for (let j = 0; j < 4; j++) {
    out[at + j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
    out[at + j + 4] = (m[j] & 63) | ((m[j + 4] >> 4) << 6);
    out[at + j + 8] = (sc[j + 4] & 15) | ((m[j + 4] & 15) << 4);
  }
}

/** One Q4_K (highBits false, 144 bytes) or Q5_K (true, 176 bytes) block. */
export function encodeK(b: KBlock, highBits: boolean): Uint8Array {
  const out = new Uint8Array(highBits ? 176 : 144);
  putF16(out, 0, b.d);
  putF16(out, 2, b.dmin ?? 0);
  packScalesMins(out, 4, b.sc, b.m ?? new Array<number>(8).fill(0));
  const qs = highBits ? 48 : 16;
  for (let j = 0; j < 8; j++)
    for (let l = 0; l < 32; l++) {
      const q = b.q[32 * j + l];
      out[qs + 32 * (j >> 1) + l] |= (q & 15) << (j & 1 ? 4 : 0);
      if (highBits) out[16 + l] |= (q >> 4) << j;
    }
  return out;
}

/** One Q6_K block (210 bytes): codes 0..63, int8 scales. */
export function encodeQ6K(b: KBlock): Uint8Array {
  const out = new Uint8Array(210);
  for (let i = 0; i < 256; i++) {
    const [half, t, l] = [i >> 7, (i >> 5) & 3, i & 31];
    const q = b.q[i];
    out[64 * half + l + 32 * (t & 1)] |= (q & 15) << (t < 2 ? 0 : 4);
    out[128 + 32 * half + l] |= (q >> 4) << (2 * t);
  }
  for (let j = 0; j < 16; j++) out[192 + j] = b.sc[j] & 0xff;
  putF16(out, 208, b.d);
  return out;
}

/** One Q5_0 block (22 bytes): codes 0..31. */
export function encodeQ5_0(b: KBlock): Uint8Array {
  const out = new Uint8Array(22);
  putF16(out, 0, b.d);
  let qh = 0;
  for (let j = 0; j < 32; j++) qh |= (b.q[j] >> 4) << j;
  new DataView(out.buffer).setUint32(2, qh >>> 0, true);
  for (let j = 0; j < 16; j++) out[6 + j] = (b.q[j] & 15) | ((b.q[j + 16] & 15) << 4);
  return out;
}

/** Uniform numbers in [0, 1) from a 32-bit LCG (deterministic test data). */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A seeded block of random fields for `type`. */
export function randomBlock(type: 'q4_k' | 'q5_k' | 'q6_k' | 'q5_0', next: () => number): Uint8Array {
  const int = (n: number) => Math.floor(next() * n);
  const d = (int(2000) - 1000) / 2 ** 20;
  if (type === 'q5_0') return encodeQ5_0({ d, sc: [], q: Array.from({ length: 32 }, () => int(32)) });
  if (type === 'q6_k') return encodeQ6K({ d, sc: Array.from({ length: 16 }, () => int(256) - 128), q: Array.from({ length: 256 }, () => int(64)) });
  const b = { d, dmin: int(1000) / 2 ** 19, sc: Array.from({ length: 8 }, () => int(64)), m: Array.from({ length: 8 }, () => int(64)) };
  return encodeK({ ...b, q: Array.from({ length: 256 }, () => int(type === 'q4_k' ? 16 : 32)) }, type === 'q5_k');
}
