import type { Rng } from './types.js';

/**
 * Seeded PRNG: xoshiro128** (Blackman & Vigna) with 32-bit state words.
 *
 * Each generator has a 128-bit *key* (derived from the seed, or from the
 * parent key and a stream name for forks); its start state is the key
 * mixed through MurmurHash3's finaliser, so similar keys give unrelated states.
 * `fork(name)` depends only on the parent's key and `name`, never on how many
 * numbers the parent has drawn: forks are reproducible regardless of order.
 */
export class Xoshiro128 implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `key`: 4 uint32 words. Use `createRng(seed)` rather than this directly. */
  constructor(private readonly key: Uint32Array) {
    let x = key[0] ^ Math.imul(key[1], 0x85ebca6b) ^ Math.imul(key[2], 0xc2b2ae35) ^ Math.imul(key[3], 0x27d4eb2f);
    x = fmix32(x);
    this.s0 = fmix32((x + 0x9e3779b9) ^ key[0]);
    this.s1 = fmix32((x + 0x3c6ef372) ^ key[1]);
    this.s2 = fmix32((x + 0xdaa66d2b) ^ key[2]);
    this.s3 = fmix32((x + 0x78dde6e4) ^ key[3]);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
  }

  /** A generator in exactly this raw state (for known-answer tests); forks derive from the state as key. */
  static fromState(s0: number, s1: number, s2: number, s3: number): Xoshiro128 {
    const g = new Xoshiro128(Uint32Array.of(s0, s1, s2, s3));
    g.s0 = s0 >>> 0;
    g.s1 = s1 >>> 0;
    g.s2 = s2 >>> 0;
    g.s3 = s3 >>> 0;
    return g;
  }

  /** Next uint32 (as a non-negative number < 2^32). */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = rotl(n3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  fork(stream: string): Xoshiro128 {
    return new Xoshiro128(deriveKey(this.key, stream));
  }

  /**
   * Fills `out` with uniform floats in [lo, hi] (32 random bits each, rounded to float32). A fast
   * path for large weight tensors: same sequence as repeated nextUint32().
   */
  fillUniform(out: Float32Array, lo: number, hi: number): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const scale = (hi - lo) / 4294967296;
    for (let i = 0; i < out.length; i++) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      out[i] = lo + r * scale;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }
}

/**
 * A seeded Rng. `seed` is any finite number; integers up to 2^53 map to
 * distinct keys (non-integers are truncated toward zero).
 */
export function createRng(seed: number): Xoshiro128 {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number, got ${seed}`);
  const s = Math.trunc(Math.abs(seed));
  const lo = s >>> 0;
  const hi = Math.floor(s / 4294967296) >>> 0;
  const sign = seed < 0 ? 0x5bd1e995 : 0;
  const key = new Uint32Array(4);
  let x = fmix32(lo ^ 0x243f6a88) ^ fmix32(hi ^ 0x85a308d3 ^ sign);
  for (let k = 0; k < 4; k++) {
    x = fmix32((x + Math.imul(k + 1, 0x9e3779b9)) | 0);
    key[k] = x;
  }
  return new Xoshiro128(key);
}

/** A standard normal sample (Box-Muller; one of the pair is discarded). */
export function normal(rng: Rng): number {
  const u1 = 1 - rng.uniform(); // (0, 1]: log is finite
  const u2 = rng.uniform();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Child key = hash of (parent key, UTF-8 bytes of the stream name), one 32-bit lane per word. */
function deriveKey(parent: Uint32Array, name: string): Uint32Array {
  const bytes = new TextEncoder().encode(name);
  const out = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    let h = Math.imul(k + 1, 0x9e3779b9) ^ 0x7f4a7c15;
    for (let j = 0; j < 4; j++) h = fmix32(h ^ parent[(j + k) & 3]);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    out[k] = fmix32(h ^ bytes.length);
  }
  return out;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** MurmurHash3's 32-bit finaliser (a bijective avalanche mix). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
