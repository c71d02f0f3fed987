import type { Clock } from '../core/types.js';
import { GRAPH_IO } from '../model/graph/llama-graph.js';
import { writeTreeLayout, type RowPlacement } from '../tree/layout.js';
import type { TreeShape } from '../core/tree-shape.js';
import type { CacheShape, KvCache, NewKv } from './kv-cache.js';
import type { InputCache } from './inputs.js';
import { floatData, floatTensor, type FeedTensor } from './ort.js';
import type { ForwardSessions } from './sessions.js';

/**
 * One request of a batched tree forward: the tree's rows 0..cache.pending-1
 * (row 0 = root, row g = node g - 1) are already in the cache as pending
 * rows; this forward computes the rest.
 */
export interface ForwardItem {
  readonly cache: KvCache;
  readonly root: number;
  readonly tree: TreeShape;
}

export interface ForwardResult {
  readonly logits: Float32Array; // [B, rows, vocab], row r of slot b = tree row pending_b + r
  readonly rows: number;
  readonly fresh: NewKv;
  /** Milliseconds inside session.run. */
  readonly runMs: number;
}

/** Rows this forward computes for an item. */
export function newRows(it: ForwardItem): number {
  return it.tree.tokens.length + 1 - it.cache.pending;
}

/**
 * Runs one forward over B requests with their new rows padded to a common
 * count. A batch of one feeds its cache's buffers directly (no copy; past
 * columns = the cache's capacity); larger batches copy each cache's rows
 * into a zero-padded [B, kvHeads, pastLen, headDim] past.
 */
export async function forwardBatch(sessions: ForwardSessions, inputCache: InputCache, shape: CacheShape, clock: Clock, items: readonly ForwardItem[]): Promise<ForwardResult> {
  const B = items.length;
  let rows = 0;
  let pastLen = B === 1 ? items[0].cache.capacity : 0;
  for (const it of items) {
    rows = Math.max(rows, newRows(it));
    if (B > 1) pastLen = Math.max(pastLen, it.cache.rows);
  }
  const T = pastLen + rows;
  const inputs = inputCache.acquire(B, rows, T);
  const { ids, positions, bias, feeds } = inputs;
  for (let b = 0; b < B; b++) {
    const it = items[b];
    const placement: RowPlacement = { committed: it.cache.committed, pending: it.cache.pending, pastLen, rows };
    for (let r = 0; r < newRows(it); r++) {
      const g = it.cache.pending + r;
      ids[b * rows + r] = BigInt(g === 0 ? it.root : it.tree.tokens[g - 1]);
    }
    writeTreeLayout(it.tree, placement, positions.subarray(b * rows, (b + 1) * rows), bias.subarray(b * rows * T, (b + 1) * rows * T));
  }
  const pastDims = [B, shape.kvHeads, pastLen, shape.headDim];
  const names = pastNames(shape.layers);
  for (let l = 0; l < shape.layers; l++) {
    feeds[names.keys[l]] = pastTensor(pastData(items, l, 'keys', pastLen, shape), pastDims);
    feeds[names.values[l]] = pastTensor(pastData(items, l, 'values', pastLen, shape), pastDims);
  }
  const t0 = clock.nowMs();
  const out = await sessions
    .pick(B * rows)
    .run(feeds)
    .finally(() => inputCache.release(inputs));
  const runMs = clock.nowMs() - t0;
  return {
    logits: floatData(out[GRAPH_IO.logits], GRAPH_IO.logits),
    rows,
    fresh: { data: floatData(out[GRAPH_IO.newKv], GRAPH_IO.newKv), batch: B, rows },
    runMs,
  };
}

/** Feed names of the past K/V of layers 0..layers-1, built once per layer count. */
const pastNamesByLayers = new Map<number, { readonly keys: readonly string[]; readonly values: readonly string[] }>();

function pastNames(layers: number): { readonly keys: readonly string[]; readonly values: readonly string[] } {
  let names = pastNamesByLayers.get(layers);
  if (names === undefined) {
    names = { keys: Array.from({ length: layers }, (_, l) => GRAPH_IO.pastKey(l)), values: Array.from({ length: layers }, (_, l) => GRAPH_IO.pastValue(l)) };
    pastNamesByLayers.set(layers, names);
  }
  return names;
}

/** Tensors over cache buffers, reused while a buffer lives (a cache's buffer changes only when it grows). */
const pastTensors = new WeakMap<Float32Array, FeedTensor>();

/** A [B, kvHeads, pastLen, headDim] tensor over `data`, created once per buffer of a batch of one. */
function pastTensor(data: Float32Array, dims: readonly number[]): FeedTensor {
  if (dims[0] !== 1) return floatTensor(data, dims);
  let t = pastTensors.get(data);
  if (t === undefined) {
    t = floatTensor(data, dims);
    pastTensors.set(data, t);
  }
  return t;
}

/** Past K or V of layer l for the batch: [B, kvHeads, pastLen, headDim]. */
function pastData(items: readonly ForwardItem[], l: number, kind: 'keys' | 'values', pastLen: number, shape: CacheShape): Float32Array {
  if (items.length === 1) return items[0].cache[kind][l];
  const hd = shape.headDim;
  const out = new Float32Array(items.length * shape.kvHeads * pastLen * hd);
  items.forEach((it, b) => {
    const src = it.cache[kind][l];
    const stride = it.cache.capacity * hd;
    for (let h = 0; h < shape.kvHeads; h++) {
      out.set(src.subarray(h * stride, h * stride + it.cache.rows * hd), (b * shape.kvHeads + h) * pastLen * hd);
    }
  });
  return out;
}
