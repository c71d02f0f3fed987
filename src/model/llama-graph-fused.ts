import { GraphBuilder } from './onnx-graph.js';
import { declareIo, emitNewKv, GRAPH_IO, transpose } from './llama-graph-io.js';
import { headDim, type LlamaConfig, type LlamaWeights } from './weights.js';

/** ONNX opset that has Attention, RotaryEmbedding and RMSNormalization (ONNX 1.18). */
const FUSED_OPSET = 23;

/**
 * The forward graph on onnxruntime's fused kernels: per layer one RMSNormalization,
 * one MatMul for [Q | K | V], two RotaryEmbedding, one Attention (grouped-query,
 * past/present KV and the tree's additive mask in one kernel), one MatMul for
 * [gate | up], SiLU, and the down projection. Same inputs, outputs and
 * function as the reference graph (llama-graph.ts), which the tests compare it with.
 */
export function buildFusedGraph(w: LlamaWeights, nLayers: number): Uint8Array {
  const c = w.config;
  const g = new GraphBuilder('llama_tree_forward_fused', FUSED_OPSET);
  const io = declareIo(g, c, nLayers);
  const rope = ropeCache(g, c);
  const hd = headDim(c);
  const qDim = c.nHeads * hd;
  const kvDim = c.nKvHeads * hd;
  const rowPositions = g.op1('Reshape', [io.positions, g.int64([-1, 1])]); // [B*N, 1]
  const newKeys: string[] = [];
  const newValues: string[] = [];
  let x = g.op1('Gather', [g.weight('tok_embeddings', w.tokenEmbedding, [c.vocabSize, c.dim]), io.ids]); // [B, N, dim]
  for (let l = 0; l < nLayers; l++) {
    const lw = w.layers[l];
    const h = rmsNorm(g, x, g.weight(`l${l}.attn_norm`, lw.attnNorm, [c.dim]), c.normEps);
    const qkv = linear(g, h, [lw.wq, lw.wk, lw.wv], qDim + 2 * kvDim, c.dim, `l${l}.wqkv`); // [B, N, qDim + 2 kvDim]
    const [q, k, v] = g.op('Split', [qkv, g.int64([qDim, kvDim, kvDim])], { axis: -1 }, 3);
    const rq = rotary(g, q, c.nHeads, rope, rowPositions);
    const rk = rotary(g, k, c.nKvHeads, rope, rowPositions);
    // Scale defaults to 1/sqrt(headDim); the mask is added to the scaled scores. The kernel needs its
    // present K/V outputs when given a past; they stay inside the graph (only the new rows leave).
    const [attn] = g.op('Attention', [rq, rk, v, io.bias, GRAPH_IO.pastKey(l), GRAPH_IO.pastValue(l)], { q_num_heads: c.nHeads, kv_num_heads: c.nKvHeads }, 3); // [B, N, qDim]
    const kvShape = g.int64([0, 0, c.nKvHeads, hd]);
    newKeys.push(g.op1('Transpose', [g.op1('Reshape', [rk, kvShape])], { perm: [0, 2, 1, 3] })); // [B, KV, N, hd]
    newValues.push(g.op1('Transpose', [g.op1('Reshape', [v, kvShape])], { perm: [0, 2, 1, 3] }));
    x = g.op1('Add', [x, linear(g, attn, [lw.wo], c.dim, qDim, `l${l}.wo`)]);
    const h2 = rmsNorm(g, x, g.weight(`l${l}.ffn_norm`, lw.ffnNorm, [c.dim]), c.normEps);
    const gateUp = linear(g, h2, [lw.w1, lw.w3], 2 * c.hiddenDim, c.dim, `l${l}.w13`); // [B, N, 2 hidden]
    const [gate, up] = g.op('Split', [gateUp, g.int64([c.hiddenDim, c.hiddenDim])], { axis: -1 }, 2);
    const act = g.op1('Mul', [g.op1('Mul', [gate, g.op1('Sigmoid', [gate])]), up]);
    x = g.op1('Add', [x, linear(g, act, [lw.w2], c.dim, c.hiddenDim, `l${l}.w2`)]);
  }
  emitNewKv(g, newKeys, newValues);
  const xf = rmsNorm(g, x, g.weight('final_norm', w.finalNorm, [c.dim]), c.normEps);
  linear(g, xf, [w.classifier], c.vocabSize, c.dim, 'classifier', GRAPH_IO.logits);
  return g.toBytes();
}

interface RopeCache {
  readonly cos: string; // [maxSeqLen, headDim/2]
  readonly sin: string; // [maxSeqLen, headDim/2]
}

/** cos/sin of pos * theta^(-2i/headDim) for every position, in float32 steps as llama2.c's run.c computes them. */
function ropeCache(g: GraphBuilder, c: LlamaConfig): RopeCache {
  const hd = headDim(c);
  const half = hd / 2;
  const cos = new Float32Array(c.maxSeqLen * half);
  const sin = new Float32Array(c.maxSeqLen * half);
  for (let i = 0; i < half; i++) {
    const freq = Math.fround(1 / Math.fround(Math.pow(c.ropeTheta, Math.fround((2 * i) / hd))));
    for (let pos = 0; pos < c.maxSeqLen; pos++) {
      const angle = Math.fround(pos * freq);
      cos[pos * half + i] = Math.cos(angle);
      sin[pos * half + i] = Math.sin(angle);
    }
  }
  return { cos: g.weight('rope_cos', cos, [c.maxSeqLen, half]), sin: g.weight('rope_sin', sin, [c.maxSeqLen, half]) };
}

/**
 * Interleaved (adjacent-pair) RoPE of x [B, N, heads*hd], each row on its own as a
 * batch of B*N one-token sequences: onnxruntime's kernel refuses more rows per
 * sequence than its cos/sin cache has positions, and a wide tree can have more.
 */
function rotary(g: GraphBuilder, x: string, heads: number, rope: RopeCache, rowPositions: string): string {
  const rows = g.op1('Reshape', [x, g.int64([-1, 1, 0])]); // [B*N, 1, heads*hd]
  const rotated = g.op1('RotaryEmbedding', [rows, rope.cos, rope.sin, rowPositions], { interleaved: 1, num_heads: heads });
  return g.op1('Reshape', [rotated, g.op1('Shape', [x])]);
}

function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  return g.op1('RMSNormalization', [x, weight], { axis: -1, epsilon: eps });
}

/**
 * y = x [W_0; W_1; ...]^T: the row-major matrices W_i [out_i, in] stacked along
 * their output axis, stored transposed as one [in, out] initializer.
 */
function linear(g: GraphBuilder, x: string, ws: readonly Float32Array[], out: number, inDim: number, name: string, outName?: string): string {
  const stacked = new Float32Array(out * inDim);
  let offset = 0;
  for (const m of ws) {
    stacked.set(m, offset);
    offset += m.length;
  }
  return g.op1('MatMul', [x, g.weight(name, transpose(stacked, out, inDim), [inDim, out])], {}, outName);
}
