/**
 * Present K/V of one batched forward: per layer [B, kvHeads, pastLen + rows, headDim].
 */
export interface PresentKv {
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
  readonly batch: number;
  readonly pastLen: number; // padded past length of the batch
  readonly rows: number; // forward rows (root + tree nodes + padding)
}

export interface CacheShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly maxLength: number;
}

/**
 * One request's committed K/V cache: per layer [kvHeads, length, headDim],
 * contiguous (the layout the graph takes as past for a batch of one).
 * `commit` keeps the committed prefix plus the listed forward rows; storage
 * is two growable buffers per layer and kind, used alternately, so a step
 * allocates nothing once the buffers are big enough.
 */
export class KvCache {
  length = 0;
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  private readonly spareKeys: Float32Array[][];
  private readonly spareValues: Float32Array[][];

  constructor(readonly shape: CacheShape) {
    const empty = () => Array.from({ length: shape.layers }, () => new Float32Array(0));
    this.keys = empty();
    this.values = empty();
    this.spareKeys = [empty(), empty()];
    this.spareValues = [empty(), empty()];
  }

  /** Floats per layer and kind for `length` rows. */
  size(length = this.length): number {
    return this.shape.kvHeads * length * this.shape.headDim;
  }

  /**
   * Keeps the committed prefix and `keepRows` (forward rows of batch slot
   * `slot`, in the order given) from `present`; drops every other row.
   */
  commit(present: PresentKv, slot: number, keepRows: Int32Array): void {
    const newLength = this.length + keepRows.length;
    if (this.isWholeForward(present, keepRows)) {
      for (let l = 0; l < this.shape.layers; l++) {
        this.keys[l] = present.keys[l];
        this.values[l] = present.values[l];
      }
    } else {
      for (let l = 0; l < this.shape.layers; l++) {
        this.keys[l] = this.gather(present.keys[l], this.keys[l], this.spareKeys, l, present, slot, keepRows, newLength);
        this.values[l] = this.gather(present.values[l], this.values[l], this.spareValues, l, present, slot, keepRows, newLength);
      }
    }
    this.length = newLength;
  }

  /** Present is exactly the new cache: batch of one, no padding, every row kept in order. */
  private isWholeForward(present: PresentKv, keepRows: Int32Array): boolean {
    if (present.batch !== 1 || present.pastLen !== this.length || keepRows.length !== present.rows) return false;
    return keepRows.every((r, i) => r === i);
  }

  private gather(
    src: Float32Array,
    current: Float32Array,
    spares: Float32Array[][],
    layer: number,
    present: PresentKv,
    slot: number,
    keepRows: Int32Array,
    newLength: number,
  ): Float32Array {
    const { kvHeads, headDim: hd } = this.shape;
    const dst = this.spareBuffer(spares, layer, current, this.size(newLength));
    const srcT = present.pastLen + present.rows;
    const prefix = this.length * hd;
    for (let h = 0; h < kvHeads; h++) {
      const from = (slot * kvHeads + h) * srcT * hd; // [B, KV, T, hd]
      const to = h * newLength * hd; // [KV, newLength, hd]
      dst.set(src.subarray(from, from + prefix), to);
      for (let j = 0; j < keepRows.length; j++) {
        const row = from + (present.pastLen + keepRows[j]) * hd;
        dst.set(src.subarray(row, row + hd), to + prefix + j * hd);
      }
    }
    return dst;
  }

  /** A buffer of `size` floats that does not alias `current`, grown geometrically. */
  private spareBuffer(spares: Float32Array[][], layer: number, current: Float32Array, size: number): Float32Array {
    const pick = spares[0][layer].buffer === current.buffer ? 1 : 0;
    let buf = spares[pick][layer];
    if (buf.length < size) {
      const cap = Math.min(Math.max(size, buf.length * 2), this.size(this.shape.maxLength));
      buf = new Float32Array(Math.max(cap, size));
      spares[pick][layer] = buf;
    }
    return buf.subarray(0, size);
  }
}
