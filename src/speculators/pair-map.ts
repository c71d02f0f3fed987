/**
 * A hash map from pairs of non-negative int32 (a, b) to int32 values, in
 * flat typed arrays (open addressing, linear probing, load <= 1/2). Entries
 * are never removed. get/set are O(1) expected; growing is amortized O(1).
 * About 12 bytes per slot, i.e. 24-48 bytes per entry.
 */
export class PairMap {
  private keysA: Int32Array;
  private keysB: Int32Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** The value of (a, b), or -1 when absent. */
  get(a: number, b: number): number {
    for (let i = hash(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.keysA[i];
      if (k === -1) return -1;
      if (k === a && this.keysB[i] === b) return this.vals[i];
    }
  }

  /** Sets (a, b) to v (a, b >= 0). */
  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.keysA.length) this.grow();
    for (let i = hash(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.keysA[i];
      if (k === -1) {
        this.keysA[i] = a;
        this.keysB[i] = b;
        this.vals[i] = v;
        this.size++;
        return;
      }
      if (k === a && this.keysB[i] === b) {
        this.vals[i] = v;
        return;
      }
    }
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.keysA.byteLength * 3;
  }

  private grow(): void {
    const { keysA, keysB, vals } = this;
    const cap = keysA.length * 2;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < keysA.length; i++) if (keysA[i] !== -1) this.set(keysA[i], keysB[i], vals[i]);
  }
}

function hash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}
