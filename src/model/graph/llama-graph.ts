import { GraphBuilder, type SerializedModel } from './onnx-graph.js';
import { buildFusedGraph, type LayoutKind } from './llama-graph-fused.js';
import type { NBitsAccuracy } from './quant-nbits.js';
import { declareIo, emitNewKv, GRAPH_IO, transpose } from './llama-graph-io.js';
import { floatWeights, headDim, type LlamaConfig, type LlamaWeights, type ModelWeights } from '../weights.js';
import type { InitializerSink } from './spill.js';

export { GRAPH_IO } from './llama-graph-io.js';

/**
 * Which graph computes the forward:
 *  - `fused` (default): ONNX opset 23 Attention, RotaryEmbedding and
 *    RMSNormalization kernels, Q/K/V and gate/up projections each one MatMul;
 *  - `reference`: opset 15 primitives only (MatMul, Softmax, elementwise),
 *    every step of docs/design.md#the-tree-forward spelled out; the tests check `fused` against it.
 */
export type GraphKind = 'fused' | 'reference';
export const GRAPH_KINDS: readonly GraphKind[] = ['fused', 'reference'];

export interface LlamaGraphOptions {
  /** Use only the first `layers` transformer layers (layer-skip drafts); default all. */
  readonly layers?: number;
  /** Default `fused`. */
  readonly graph?: GraphKind;
  /** Fused graph only: how rows meet the weights (llama-graph-fused.ts); default `rows`. */
  readonly layout?: LayoutKind;
  /** Fused graph, quantized layer matrices: MatMulNBits' accuracy_level (quant-nbits.ts); default DEFAULT_NBITS_ACCURACY. */
  readonly quantAccuracy?: NBitsAccuracy;
}

/**
 * Builds the tree-attention forward graph of a Llama-family model as ONNX bytes.
 * Quantized layer matrices need the fused graph in the rows layout (ConfigError otherwise).
 */
export function buildLlamaGraph(w: ModelWeights, opts: LlamaGraphOptions = {}): Uint8Array {
  return graphOf(w, opts).toBytes();
}

/**
 * buildLlamaGraph with every initializer of at least `externalMinBytes` bytes
 * as in-memory external data (onnx-graph.ts toModel): the weights are not
 * copied into the serialized model.
 */
export function buildLlamaModel(w: ModelWeights, opts: LlamaGraphOptions, externalMinBytes: number): SerializedModel {
  return graphOf(w, opts).toModel(externalMinBytes);
}

/**
 * The serialized model with every initializer of at least sink.minBytes bytes
 * written to `sink` as the graph is built (spill.ts): its weight operands are
 * never all in memory at once.
 */
export function spillLlamaModel(w: ModelWeights, opts: LlamaGraphOptions, sink: InitializerSink): Uint8Array {
  return graphOf(w, opts, sink).toBytes();
}

function graphOf(w: ModelWeights, opts: LlamaGraphOptions, sink?: InitializerSink): GraphBuilder {
  const nLayers = opts.layers ?? w.config.nLayers;
  if ((opts.graph ?? 'fused') === 'fused') return buildFusedGraph(w, nLayers, opts.layout, opts.quantAccuracy, sink);
  return buildReferenceGraph(floatWeights(w, 'the reference graph (graph: reference)'), nLayers, sink);
}

function buildReferenceGraph(w: LlamaWeights, nLayers: number, sink?: InitializerSink): GraphBuilder {
  const c = w.config;
  const g = new GraphBuilder('llama_tree_forward', undefined, sink);
  const hd = headDim(c);
  const io = declareIo(g, c, nLayers);
  const rope = ropeTables(g, c);
  // [B, 1, 1, N, T]: broadcasts over kv heads and the query group.
  const bias = g.op1('Unsqueeze', [io.bias, g.int64([2])]);
  const newKeys: string[] = [];
  const newValues: string[] = [];
  let x = g.op1('Gather', [g.weight('tok_embeddings', w.tokenEmbedding, [c.vocabSize, c.dim]), io.ids]);
  for (let l = 0; l < nLayers; l++) {
    const lw = w.layers[l];
    const h = rmsNorm(g, x, g.weight(`l${l}.attn_norm`, lw.attnNorm, [c.dim]), c.normEps);
    // Scaling Q by 1/sqrt(headDim) is folded into wq (RoPE is linear, so it commutes).
    const wq = scaled(lw.wq, 1 / Math.sqrt(hd));
    const q = linear(g, h, wq, c.nHeads * hd, c.dim, `l${l}.wq`);
    const k = linear(g, h, lw.wk, c.nKvHeads * hd, c.dim, `l${l}.wk`);
    const v = linear(g, h, lw.wv, c.nKvHeads * hd, c.dim, `l${l}.wv`);
    const rotatedK = applyRope(g, k, c.nKvHeads, hd, rope);
    const attn = attention(g, c, l, applyRope(g, q, c.nHeads, hd, rope), rotatedK, v, bias);
    newKeys.push(g.op1('Reshape', [rotatedK, g.int64([0, 0, -1])])); // [B, N, KV*hd]
    newValues.push(v);
    x = g.op1('Add', [x, linear(g, attn, lw.wo, c.dim, c.nHeads * hd, `l${l}.wo`)]);
    const h2 = rmsNorm(g, x, g.weight(`l${l}.ffn_norm`, lw.ffnNorm, [c.dim]), c.normEps);
    x = g.op1('Add', [x, swiGlu(g, h2, lw.w1, lw.w2, lw.w3, c, l)]);
  }
  emitNewKv(g, newKeys, newValues);
  const xf = rmsNorm(g, x, g.weight('final_norm', w.finalNorm, [c.dim]), c.normEps);
  linear(g, xf, w.classifier, c.vocabSize, c.dim, 'classifier', GRAPH_IO.logits);
  return g;
}

interface RopeTables {
  readonly cos: string; // [B, N, 1, headDim/2, 1]
  readonly sin: string; // [B, N, 1, headDim/2, 1]
}

/** cos/sin of position * theta^(-2i/headDim), computed once per forward from position_ids. */
function ropeTables(g: GraphBuilder, c: LlamaConfig): RopeTables {
  const half = headDim(c) / 2;
  const invFreq = Array.from({ length: half }, (_, i) => 1 / Math.pow(c.ropeTheta, (2 * i) / headDim(c)));
  const pos = g.op1('Cast', [GRAPH_IO.positionIds], { to: 1 }); // [B, N] float
  const angle = g.op1('Mul', [g.op1('Unsqueeze', [pos, g.int64([2])]), g.float(invFreq)]); // [B, N, half]
  const axes = g.int64([2, 4]);
  return {
    cos: g.op1('Unsqueeze', [g.op1('Cos', [angle]), axes]),
    sin: g.op1('Unsqueeze', [g.op1('Sin', [angle]), axes]),
  };
}

/** RoPE on adjacent pairs: [B, N, heads*hd] -> [B, N, heads, hd/2, 2] rotated. */
function applyRope(g: GraphBuilder, x: string, heads: number, hd: number, rope: RopeTables): string {
  const pairs = g.op1('Reshape', [x, g.int64([0, 0, heads, hd / 2, 2])]);
  const [x0, x1] = g.op('Split', [pairs], { axis: 4 }, 2); // each [B, N, heads, hd/2, 1]
  const r0 = g.op1('Sub', [g.op1('Mul', [x0, rope.cos]), g.op1('Mul', [x1, rope.sin])]);
  const r1 = g.op1('Add', [g.op1('Mul', [x0, rope.sin]), g.op1('Mul', [x1, rope.cos])]);
  return g.op1('Concat', [r0, r1], { axis: 4 });
}

/**
 * Grouped-query tree attention for layer l. q: [B, N, H, hd/2, 2] (rotated, pre-scaled),
 * k: [B, N, KV, hd/2, 2] (rotated), v: [B, N, KV*hd], bias: [B, 1, 1, N, T].
 * Query head h = kv * G + j uses kv head kv (G = H / KV). Returns out [B, N, H*hd].
 */
function attention(g: GraphBuilder, c: LlamaConfig, l: number, q: string, k: string, v: string, bias: string): string {
  const hd = headDim(c);
  const group = c.nHeads / c.nKvHeads;
  const q5 = g.op1('Transpose', [g.op1('Reshape', [q, g.int64([0, 0, c.nKvHeads, group, hd])])], { perm: [0, 2, 3, 1, 4] }); // [B, KV, G, N, hd]
  const kvShape = g.int64([0, 0, c.nKvHeads, hd]);
  const kNew = g.op1('Transpose', [g.op1('Reshape', [k, kvShape])], { perm: [0, 2, 1, 3] }); // [B, KV, N, hd]
  const vNew = g.op1('Transpose', [g.op1('Reshape', [v, kvShape])], { perm: [0, 2, 1, 3] });
  const kAll = g.op1('Concat', [GRAPH_IO.pastKey(l), kNew], { axis: 2 }); // [B, KV, T, hd]
  const vAll = g.op1('Concat', [GRAPH_IO.pastValue(l), vNew], { axis: 2 });
  const unsq = g.int64([2]);
  const kT = g.op1('Unsqueeze', [g.op1('Transpose', [kAll], { perm: [0, 1, 3, 2] }), unsq]); // [B, KV, 1, hd, T]
  const scores = g.op1('Add', [g.op1('MatMul', [q5, kT]), bias]); // [B, KV, G, N, T]
  const probs = g.op1('Softmax', [scores], { axis: -1 });
  const out = g.op1('MatMul', [probs, g.op1('Unsqueeze', [vAll, unsq])]); // [B, KV, G, N, hd]
  const perm = g.op1('Transpose', [out], { perm: [0, 3, 1, 2, 4] }); // [B, N, KV, G, hd]
  return g.op1('Reshape', [perm, g.int64([0, 0, c.nHeads * hd])]);
}

/** y = x W^T for a row-major W [out, in]; the initializer stores W^T [in, out]. */
function linear(g: GraphBuilder, x: string, w: Float32Array, out: number, inDim: number, name: string, outName?: string): string {
  return g.op1('MatMul', [x, g.weight(name, transpose(w, out, inDim), [inDim, out])], {}, outName);
}

/** x * w / sqrt(mean(x^2) + eps) over the last axis. */
function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  const meanSq = g.op1('ReduceMean', [g.op1('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const rms = g.op1('Sqrt', [g.op1('Add', [meanSq, g.float([eps], [])])]);
  return g.op1('Mul', [g.op1('Div', [x, rms]), weight]);
}

/** w2(silu(w1 x) * w3 x). */
function swiGlu(g: GraphBuilder, x: string, w1: Float32Array, w2: Float32Array, w3: Float32Array, c: LlamaConfig, l: number): string {
  const gate = linear(g, x, w1, c.hiddenDim, c.dim, `l${l}.w1`);
  const up = linear(g, x, w3, c.hiddenDim, c.dim, `l${l}.w3`);
  const act = g.op1('Mul', [g.op1('Mul', [gate, g.op1('Sigmoid', [gate])]), up]);
  return linear(g, act, w2, c.dim, c.hiddenDim, `l${l}.w2`);
}

function scaled(m: Float32Array, s: number): Float32Array {
  return m.map((v) => v * s);
}
