import { GRAPH_IO } from '../model/graph/llama-graph.js';
import { floatTensor, int64Tensor, type FeedTensor } from './ort.js';

/** The per-forward inputs of the graph (GRAPH_IO) for B requests of `rows` rows over T = past + rows columns. */
export interface ForwardInputs {
  readonly ids: BigInt64Array; // [B, rows]
  readonly positions: BigInt64Array; // [B, rows]
  readonly bias: Float32Array; // [B, 1, rows, T]
  readonly idsTensor: FeedTensor;
  readonly positionsTensor: FeedTensor;
  readonly biasTensor: FeedTensor;
  /** The feeds of a forward: the three tensors above; the forward adds the past K/V tensors, which vary by cache. */
  readonly feeds: Record<string, FeedTensor>;
}

/** Shapes whose buffers a cache keeps (the oldest shape goes first). */
const MAX_SHAPES = 64;

/**
 * Input buffers and their tensors, reused by the forwards of one model that
 * have the same [B, rows, T]: a forward then allocates nothing for its inputs
 * (on stories260K, allocations per forward were a visible share of a
 * speculative step's framework time, mostly as garbage collection).
 */
export class InputCache {
  private readonly byShape = new Map<string, ForwardInputs>();
  private readonly inUse = new Set<ForwardInputs>();

  /**
   * Zeroed inputs for a forward of this shape, held until `release`. A forward
   * that overlaps another of the same shape gets fresh buffers.
   */
  acquire(B: number, rows: number, T: number): ForwardInputs {
    const key = `${B}x${rows}x${T}`;
    const cached = this.byShape.get(key);
    if (cached !== undefined && !this.inUse.has(cached)) {
      cached.ids.fill(0n);
      cached.positions.fill(0n);
      cached.bias.fill(0);
      this.inUse.add(cached);
      return cached;
    }
    const made = fresh(B, rows, T);
    if (cached === undefined) {
      if (this.byShape.size >= MAX_SHAPES) this.byShape.delete(this.byShape.keys().next().value as string);
      this.byShape.set(key, made);
    }
    this.inUse.add(made);
    return made;
  }

  /** The forward that acquired `inputs` is done with them. */
  release(inputs: ForwardInputs): void {
    this.inUse.delete(inputs);
  }

  /** Shapes with cached buffers. */
  get size(): number {
    return this.byShape.size;
  }
}

function fresh(B: number, rows: number, T: number): ForwardInputs {
  const ids = new BigInt64Array(B * rows);
  const positions = new BigInt64Array(B * rows);
  const bias = new Float32Array(B * rows * T);
  const idsTensor = int64Tensor(ids, [B, rows]);
  const positionsTensor = int64Tensor(positions, [B, rows]);
  const biasTensor = floatTensor(bias, [B, 1, rows, T]);
  const feeds = { [GRAPH_IO.inputIds]: idsTensor, [GRAPH_IO.positionIds]: positionsTensor, [GRAPH_IO.attentionBias]: biasTensor };
  return { ids, positions, bias, idsTensor, positionsTensor, biasTensor, feeds };
}
