/**
 * Present K/V of one batched forward: per layer [B, kvHeads, pastLen + rows, headDim].
 */
export interface PresentKv {
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
  readonly batch: number;
  readonly pastLen: number; // padded past length of the batch
  readonly rows: number; // forward rows (padded to the batch's largest)
}

export interface CacheShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly maxLength: number;
}

/** [first row, row count] of a source. */
type RowRange = readonly [number, number];

/**
 * One request's K/V: per layer [kvHeads, committed + pending, headDim],
 * contiguous, which is the past a batch of one feeds to the graph without a
 * copy. `committed` rows belong to accepted tokens; the `pending` rows after
 * them are tree rows (root first) scored but not yet verified.
 *
 * Copies happen only when rows must be dropped or a batch slot extracted;
 * they go into two growable buffers per layer and kind used alternately, so
 * a step allocates nothing once the buffers are big enough.
 */
export class KvCache {
  committed = 0;
  pending = 0;
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

  /** Rows held per kv head: committed + pending. */
  get rows(): number {
    return this.committed + this.pending;
  }

  /** Appends `count` rows computed by a forward (batch slot `slot`) as pending rows. */
  absorb(present: PresentKv, slot: number, count: number): void {
    const whole = present.batch === 1 && present.pastLen === this.rows && present.rows === count;
    for (let l = 0; l < this.shape.layers; l++) {
      if (whole) {
        this.keys[l] = present.keys[l];
        this.values[l] = present.values[l];
      } else {
        const srcRows = present.pastLen + present.rows;
        const ranges: RowRange[] = [[0, this.rows], [present.pastLen, count]];
        this.keys[l] = this.gather(present.keys[l], srcRows, slot, ranges, this.keys[l], this.spareKeys[0], this.spareKeys[1], l);
        this.values[l] = this.gather(present.values[l], srcRows, slot, ranges, this.values[l], this.spareValues[0], this.spareValues[1], l);
      }
    }
    this.pending += count;
  }

  /** Pending rows `keep` (0 = the root, in path order) become committed; other pending rows are dropped. */
  commit(keep: Int32Array): void {
    const keepAll = keep.length === this.pending && keep.every((r, i) => r === i);
    if (!keepAll) this.rebuild([[0, this.committed], ...Array.from(keep, (r): RowRange => [this.committed + r, 1])]);
    this.committed += keep.length;
    this.pending = 0;
  }

  /** Drops every pending row. */
  dropPending(): void {
    if (this.pending > 0) this.rebuild([[0, this.committed]]);
    this.pending = 0;
  }

  /** Replaces the contents by the listed ranges of the current rows. */
  private rebuild(ranges: readonly RowRange[]): void {
    const rows = this.rows;
    for (let l = 0; l < this.shape.layers; l++) {
      this.keys[l] = this.gather(this.keys[l], rows, 0, ranges, this.keys[l], this.spareKeys[0], this.spareKeys[1], l);
      this.values[l] = this.gather(this.values[l], rows, 0, ranges, this.values[l], this.spareValues[0], this.spareValues[1], l);
    }
  }

  /**
   * Copies `ranges` of rows of batch slot `slot` of `src` ([B, kvHeads, srcRows, headDim])
   * into a spare buffer that does not alias `current`; returns [kvHeads, total, headDim].
   */
  private gather(
    src: Float32Array,
    srcRows: number,
    slot: number,
    ranges: readonly RowRange[],
    current: Float32Array,
    spareA: Float32Array[],
    spareB: Float32Array[],
    layer: number,
  ): Float32Array {
    const { kvHeads, headDim: hd } = this.shape;
    const total = ranges.reduce((s, [, n]) => s + n, 0);
    const spares = spareA[layer].buffer === current.buffer ? spareB : spareA;
    const dst = this.reserve(spares, layer, kvHeads * total * hd);
    for (let h = 0; h < kvHeads; h++) {
      const from = (slot * kvHeads + h) * srcRows * hd;
      let to = h * total * hd;
      for (const [first, n] of ranges) {
        dst.set(src.subarray(from + first * hd, from + (first + n) * hd), to);
        to += n * hd;
      }
    }
    return dst;
  }

  /** The first `size` floats of a spare buffer, grown geometrically up to the context size. */
  private reserve(spares: Float32Array[], layer: number, size: number): Float32Array {
    if (spares[layer].length < size) {
      const cap = this.shape.kvHeads * this.shape.maxLength * this.shape.headDim;
      spares[layer] = new Float32Array(Math.max(size, Math.min(spares[layer].length * 2, cap)));
    }
    return spares[layer].subarray(0, size);
  }
}
