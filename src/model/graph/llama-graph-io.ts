import type { GraphBuilder } from './onnx-graph.js';
import { headDim, type LlamaConfig } from '../weights.js';

/**
 * Names of the graph's inputs and outputs (docs/design.md#the-tree-forward). Symbolic dims:
 * B = batch, N = tree rows of this forward, P = past columns, T = P + N.
 *
 *   input_ids       int64   [B, N]
 *   position_ids    int64   [B, N]            committed + depth(i) per row
 *   attention_bias  float32 [B, 1, N, T]      0 = may attend, -inf = masked
 *   past_key_<l>    float32 [B, kvHeads, P, headDim]   (and past_value_<l>)
 *   logits          float32 [B, N, vocab]
 *   new_kv          float32 [2 * layers * B, N, kvHeads * headDim]
 *                   this forward's K of layer l in block 2l, V in block 2l + 1,
 *                   each block [B, N, kvHeads * headDim] (token-major, as the
 *                   graph computes them: no transpose inside the graph)
 *
 * The past may hold columns no row attends to (batch padding, a cache's spare
 * capacity): the bias masks them. Only this forward's K/V rows come out, as
 * one tensor (one output to hand over per forward, not two per layer); the
 * caller's KV cache appends them, so no step copies the whole cache out.
 */
export const GRAPH_IO = {
  inputIds: 'input_ids',
  positionIds: 'position_ids',
  attentionBias: 'attention_bias',
  logits: 'logits',
  pastKey: (l: number) => `past_key_${l}`,
  pastValue: (l: number) => `past_value_${l}`,
  newKv: 'new_kv',
} as const;

/** Declares the graph's inputs and outputs (GRAPH_IO) on `g`. */
export function declareIo(g: GraphBuilder, c: LlamaConfig, nLayers: number): { ids: string; positions: string; bias: string } {
  const hd = headDim(c);
  const ids = g.input(GRAPH_IO.inputIds, 'int64', ['B', 'N']);
  const positions = g.input(GRAPH_IO.positionIds, 'int64', ['B', 'N']);
  const bias = g.input(GRAPH_IO.attentionBias, 'float32', ['B', 1, 'N', 'T']);
  g.output(GRAPH_IO.logits, 'float32', ['B', 'N', c.vocabSize]);
  for (let l = 0; l < nLayers; l++) {
    g.input(GRAPH_IO.pastKey(l), 'float32', ['B', c.nKvHeads, 'P', hd]);
    g.input(GRAPH_IO.pastValue(l), 'float32', ['B', c.nKvHeads, 'P', hd]);
  }
  g.output(GRAPH_IO.newKv, 'float32', ['2LB', 'N', c.nKvHeads * hd]);
  return { ids, positions, bias };
}

/** Emits new_kv from every layer's new K and V rows ([B, N, kvHeads * headDim] each), in layer order. */
export function emitNewKv(g: GraphBuilder, keys: readonly string[], values: readonly string[]): void {
  g.op1(
    'Concat',
    keys.flatMap((k, l) => [k, values[l]]),
    { axis: 0 },
    GRAPH_IO.newKv,
  );
}

/** Row-major [rows, cols] -> [cols, rows]. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let col = 0; col < cols; col++) t[col * rows + r] = m[base + col];
  }
  return t;
}
