/** Bytes of free buffers a pool keeps (the oldest given buffers go first). */
const KV_POOL_MAX_BYTES = 64 * 2 ** 20;

/**
 * Free K/V buffers of one model's caches, by length. A cache that grows gives
 * its old buffers back and takes bigger ones, so after the first request of a
 * length, the next requests' caches grow without allocating: on stories260K,
 * each growth allocated 2 x layers buffers, and those allocations set off most
 * of the full garbage collections of a decode.
 */
export class KvBufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Free buffers in the order they were given (a Set iterates in insertion order), for eviction. */
  private readonly order = new Set<Float32Array>();
  private bytes = 0;

  constructor(private readonly maxBytes = KV_POOL_MAX_BYTES) {}

  /** A buffer of `length` floats; its contents are arbitrary (a reused buffer keeps an earlier cache's values). */
  take(length: number): Float32Array {
    const buffer = this.free.get(length)?.pop();
    if (buffer === undefined) return new Float32Array(length);
    this.order.delete(buffer);
    this.bytes -= buffer.byteLength;
    return buffer;
  }

  /** Returns a buffer no cache uses any more. */
  give(buffer: Float32Array): void {
    if (buffer.length === 0 || buffer.byteLength > this.maxBytes) return;
    let list = this.free.get(buffer.length);
    if (list === undefined) {
      list = [];
      this.free.set(buffer.length, list);
    }
    list.push(buffer);
    this.order.add(buffer);
    this.bytes += buffer.byteLength;
    while (this.bytes > this.maxBytes) this.evictOldest();
  }

  /** Bytes of the free buffers held. */
  get heldBytes(): number {
    return this.bytes;
  }

  private evictOldest(): void {
    const oldest = this.order.values().next().value;
    if (oldest === undefined) return;
    this.order.delete(oldest);
    const list = this.free.get(oldest.length);
    list?.splice(list.indexOf(oldest), 1);
    this.bytes -= oldest.byteLength;
  }
}
