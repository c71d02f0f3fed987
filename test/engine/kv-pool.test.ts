import { expect } from 'chai';
import { KvCache, type NewKv } from '../../src/engine/kv-cache.js';
import { KvBufferPool } from '../../src/engine/kv-pool.js';

const shape = { layers: 2, kvHeads: 2, headDim: 2 };

/** `rows` new rows of one request: value = 1000 * layer + 100 * head + 10 * row + element (+ 0.5 for values). */
function freshRows(rows: number, firstRow: number): NewKv {
  const perLayer = shape.kvHeads * rows * shape.headDim;
  const data = Float32Array.from({ length: 2 * shape.layers * perLayer }, (_, i) => {
    const kv = Math.floor(i / perLayer); // 2 * layer + (0 keys | 1 values)
    const j = i % perLayer;
    // Each block is [rows, kvHeads, headDim] (new_kv's layout).
    const r = Math.floor(j / (shape.kvHeads * shape.headDim));
    const h = Math.floor(j / shape.headDim) % shape.kvHeads;
    return 1000 * Math.floor(kv / 2) + 100 * h + 10 * (firstRow + r) + (j % shape.headDim) + (kv % 2) * 0.5;
  });
  return { data, batch: 1, rows };
}

describe('K/V buffer pool (caches reuse the buffers they outgrew)', () => {
  it('hands a given buffer back for the same length only', () => {
    const pool = new KvBufferPool();
    const a = new Float32Array(8);
    pool.give(a);
    expect(pool.heldBytes).to.equal(32);
    expect(pool.take(16)).to.not.equal(a);
    expect(pool.take(8)).to.equal(a);
    expect(pool.heldBytes).to.equal(0);
    expect(pool.take(8)).to.not.equal(a);
  });

  it('drops the oldest buffers beyond its byte limit, and never keeps empty ones', () => {
    const pool = new KvBufferPool(64);
    const [a, b, c] = [new Float32Array(8), new Float32Array(8), new Float32Array(4)];
    pool.give(new Float32Array(0));
    pool.give(a);
    pool.give(b);
    expect(pool.heldBytes).to.equal(64);
    pool.give(c);
    expect(pool.heldBytes).to.equal(48);
    expect(pool.take(8)).to.equal(b);
    expect(pool.take(8)).to.not.equal(a);
    expect(pool.take(4)).to.equal(c);
  });

  it('a cache growing into dirty pooled buffers keeps its rows and zeroes the spare columns', () => {
    const pool = new KvBufferPool();
    // Capacity 64 (the second growth step) per head: kvHeads * 64 * headDim floats.
    const dirty = Array.from({ length: 2 * shape.layers }, () => new Float32Array(shape.kvHeads * 64 * shape.headDim).fill(NaN));
    for (const d of dirty) pool.give(d);
    const cache = new KvCache(shape, pool);
    cache.append(freshRows(30, 0), 0, 30);
    cache.commit(Int32Array.from({ length: 30 }, (_, i) => i));
    expect(cache.capacity).to.equal(32);
    cache.append(freshRows(5, 30), 0, 5);
    expect(cache.capacity).to.equal(64);
    expect(dirty).to.include(cache.keys[0]);
    for (let l = 0; l < shape.layers; l++) {
      for (let h = 0; h < shape.kvHeads; h++) {
        for (let col = 0; col < 64; col++) {
          for (let e = 0; e < shape.headDim; e++) {
            const at = (h * 64 + col) * shape.headDim + e;
            const want = col < 35 ? 1000 * l + 100 * h + 10 * col + e : 0;
            expect(cache.keys[l][at], `key l${l} h${h} col${col}`).to.equal(want);
            expect(cache.values[l][at], `value l${l} h${h} col${col}`).to.equal(col < 35 ? want + 0.5 : 0);
          }
        }
      }
    }
    // The outgrown capacity-32 buffers went to the pool.
    expect(pool.heldBytes).to.equal(2 * shape.layers * shape.kvHeads * 32 * shape.headDim * 4);
  });
});
