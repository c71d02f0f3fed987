import { KvBufferPool } from './kv-pool.js';

/**
 * The K/V rows one batched forward computed (the graph's new_kv output, read
 * in place): [2 * layers, B, rows, kvHeads * headDim], layer l's keys at
 * 2l, its values at 2l + 1.
 */
export interface NewKv {
  readonly data: Float32Array;
  readonly batch: number; // B
  readonly rows: number; // forward rows (padded to the batch's largest)
}

export interface CacheShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** Capacity grows in steps of this many rows (bounds the masked columns a forward attends over). */
const CAPACITY_STEP = 32;

/**
 * One request's K/V: per layer a buffer [kvHeads, capacity, headDim] whose
 * first `rows` = committed + pending columns per head are in use; a batch of
 * one feeds the whole buffer to the graph as its past (the bias masks the
 * spare columns), so nothing is copied into or out of a forward but the new
 * rows. `committed` rows belong to accepted tokens; the `pending` rows after
 * them are tree rows (root first) scored but not yet verified.
 */
export class KvCache {
  committed = 0;
  pending = 0;
  capacity = 0;
  readonly keys: Float32Array[];
  readonly values: Float32Array[];

  /** `pool`: the model's free buffers, which growing takes from and gives back to (default: a pool that keeps none). */
  constructor(
    readonly shape: CacheShape,
    private readonly pool: KvBufferPool = new KvBufferPool(0),
  ) {
    this.keys = Array.from({ length: shape.layers }, () => new Float32Array(0));
    this.values = Array.from({ length: shape.layers }, () => new Float32Array(0));
  }

  /** Columns in use per kv head: committed + pending. */
  get rows(): number {
    return this.committed + this.pending;
  }

  /** Appends the first `count` new rows of batch slot `slot` as pending rows. */
  append(fresh: NewKv, slot: number, count: number): void {
    this.reserve(this.rows + count);
    const { kvHeads, headDim: hd } = this.shape;
    const kvDim = kvHeads * hd;
    const src = fresh.data;
    const block = fresh.batch * fresh.rows * kvDim; // one layer's keys (or values) of the batch
    for (let l = 0; l < this.shape.layers; l++) {
      const [dstK, dstV] = [this.keys[l], this.values[l]];
      for (let r = 0; r < count; r++) {
        const rowK = 2 * l * block + (slot * fresh.rows + r) * kvDim; // [N, kvHeads, hd] -> column r of every head
        const rowV = rowK + block;
        for (let h = 0; h < kvHeads; h++) {
          const from = h * hd;
          const to = (h * this.capacity + this.rows + r) * hd;
          // A plain loop: most appends are a few rows, where subarray views cost more than the copy.
          for (let i = 0; i < hd; i++) {
            dstK[to + i] = src[rowK + from + i];
            dstV[to + i] = src[rowV + from + i];
          }
        }
      }
    }
    this.pending += count;
  }

  /** Pending rows `keep` (0 = the root, ascending, in path order) become committed; other pending rows are dropped. */
  commit(keep: Int32Array): void {
    const { kvHeads, headDim: hd } = this.shape;
    for (let i = 0; i < keep.length; i++) {
      const src = this.committed + keep[i];
      const dst = this.committed + i;
      if (src === dst) continue;
      for (let l = 0; l < this.shape.layers; l++) {
        for (let h = 0; h < kvHeads; h++) {
          const base = h * this.capacity;
          this.keys[l].copyWithin((base + dst) * hd, (base + src) * hd, (base + src + 1) * hd);
          this.values[l].copyWithin((base + dst) * hd, (base + src) * hd, (base + src + 1) * hd);
        }
      }
    }
    this.committed += keep.length;
    this.pending = 0;
  }

  /** Drops every pending row. */
  dropPending(): void {
    this.pending = 0;
  }

  /**
   * Grows every buffer to hold `rows` columns per head (in CAPACITY_STEP
   * steps): the columns in use are copied, the spare ones zeroed (a pooled
   * buffer holds an earlier cache's values), the old buffer goes to the pool.
   */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.ceil(rows / CAPACITY_STEP) * CAPACITY_STEP;
    const { kvHeads, headDim: hd } = this.shape;
    const grow = (old: Float32Array): Float32Array => {
      const next = this.pool.take(kvHeads * capacity * hd);
      for (let h = 0; h < kvHeads; h++) {
        next.set(old.subarray(h * this.capacity * hd, (h * this.capacity + this.rows) * hd), h * capacity * hd);
        next.fill(0, (h * capacity + this.rows) * hd, (h + 1) * capacity * hd);
      }
      this.pool.give(old);
      return next;
    };
    for (let l = 0; l < this.shape.layers; l++) {
      this.keys[l] = grow(this.keys[l]);
      this.values[l] = grow(this.values[l]);
    }
    this.capacity = capacity;
  }
}
