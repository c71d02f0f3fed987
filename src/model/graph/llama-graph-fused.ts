import { GraphBuilder } from './onnx-graph.js';
import { declareIo, emitNewKv, GRAPH_IO, transpose } from './llama-graph-io.js';
import { EngineError } from '../../core/errors.js';
import type { QuantMatrix } from '../formats/quant.js';
import type { InitializerSink } from './spill.js';
import { DEFAULT_NBITS_ACCURACY, nbitsWeight, type NBitsAccuracy } from './quant-nbits.js';
import { headDim, inMemory, type LlamaConfig, type Matrix as WeightMatrix, type ModelWeights } from '../weights.js';

/** ONNX opset that has Attention, RotaryEmbedding and RMSNormalization (ONNX 1.18). */
const FUSED_OPSET = 23;

/**
 * The forward graph on onnxruntime's fused kernels: per layer the residual add
 * and RMSNorm in one kernel (SkipSimplifiedLayerNormalization), one MatMul for
 * [Q | K | V], one RotaryEmbedding over [Q | K], one Attention (grouped-query,
 * past/present KV and the tree's additive mask in one kernel), the residual add
 * and RMSNorm again, one MatMul for [gate | up], SiLU, and the down projection,
 * in the given layout (see Layout).
 * Same inputs, outputs and function as the reference graph (llama-graph.ts),
 * which the tests compare it with. Quantized layer matrices become MatMulNBits
 * nodes (quant-nbits.ts), in the rows layout only (EngineError in the lanes layout).
 */
export function buildFusedGraph(w: ModelWeights, nLayers: number, layout: LayoutKind = 'rows', accuracy = DEFAULT_NBITS_ACCURACY, sink?: InitializerSink): GraphBuilder {
  const c = w.config;
  const g = new GraphBuilder('llama_tree_forward_fused', FUSED_OPSET, sink);
  const io = declareIo(g, c, nLayers);
  g.op1('Identity', [forward(g, c, declareWeights(g, w, nLayers, layout, accuracy), io, layout)], {}, GRAPH_IO.logits);
  return g;
}

interface GraphIo {
  readonly ids: string;
  readonly positions: string;
  readonly bias: string;
}

/**
 * A weight matrix in the graph: a float initializer (W [out, in] in the lanes
 * layout, W^T [in, out] in the rows layout), or (rows layout) x -> x W^T for
 * quantized or mixed-type matrices.
 */
type Matrix = { readonly float: string } | { readonly apply: (x: string) => string };

/** Initializer names of the forward's weights (matrices stacked as in stackedWeight). */
interface ForwardWeights {
  readonly embedding: string; // [vocab, dim]
  readonly rope: RopeCache;
  readonly layers: readonly { attnNorm: string; qkv: Matrix; wo: Matrix; ffnNorm: string; gateUp: Matrix; down: Matrix }[];
  readonly finalNorm: string;
  readonly classifier: Matrix;
}

/** Adds the weights to the graph. */
function declareWeights(g: GraphBuilder, w: ModelWeights, nLayers: number, kind: LayoutKind, accuracy: NBitsAccuracy): ForwardWeights {
  const c = w.config;
  const stacked = (name: string, ws: readonly WeightMatrix[], inDim: number) => stackedWeight(g, { name, transposed: kind === 'rows', accuracy }, ws, inDim);
  const qDim = c.nHeads * headDim(c);
  return {
    embedding: g.weight('tok_embeddings', w.tokenEmbedding, [c.vocabSize, c.dim]),
    rope: ropeCache(g, c),
    layers: w.layers.slice(0, nLayers).map((lw, l) => ({
      attnNorm: g.weight(`l${l}.attn_norm`, lw.attnNorm, [c.dim]),
      qkv: stacked(`l${l}.wqkv`, [lw.wq, lw.wk, lw.wv], c.dim), // qDim + 2 kvDim outputs
      wo: stacked(`l${l}.wo`, [lw.wo], qDim),
      ffnNorm: g.weight(`l${l}.ffn_norm`, lw.ffnNorm, [c.dim]),
      gateUp: stacked(`l${l}.w13`, [lw.w1, lw.w3], c.dim), // 2 hidden outputs
      down: stacked(`l${l}.w2`, [lw.w2], c.hiddenDim),
    })),
    finalNorm: g.weight('final_norm', w.finalNorm, [c.dim]),
    classifier: stacked('classifier', [w.classifier], c.dim),
  };
}

/**
 * One forward; emits new_kv and returns the logits [B, N, vocab]. Activations
 * between layers are in the layout's token form ([B, N, f] or [B*N, f]); the
 * attention reads and writes [B, N, f].
 */
function forward(g: GraphBuilder, c: LlamaConfig, fw: ForwardWeights, io: GraphIo, kind: LayoutKind): string {
  const hd = headDim(c);
  const qDim = c.nHeads * hd;
  const kvDim = c.nKvHeads * hd;
  const layout = LAYOUTS[kind](g, io.ids);
  const newKeys: string[] = [];
  const newValues: string[] = [];
  let x = layout.embed(fw.embedding);
  // The MLP's output of the layer before, not yet added to x (the next norm adds it).
  let pending: string | undefined;
  fw.layers.forEach((lw, l) => {
    let h: string;
    [h, x] = pending === undefined ? [rmsNorm(g, x, lw.attnNorm, c.normEps), x] : addNorm(g, x, pending, lw.attnNorm, c.normEps);
    const qkv = layout.linear(h, lw.qkv); // qDim + 2 kvDim features
    // Q and K rotate as one tensor of nHeads + nKvHeads heads (same positions, same cos/sin): one kernel, not two.
    const [qk, v] = g.op('Split', [qkv, g.int64([qDim + kvDim, kvDim])], { axis: -1 }, 2);
    const rqk = rotary(g, layout.sequences(qk), c.nHeads + c.nKvHeads, fw.rope, io.positions); // [B, N, qDim + kvDim]
    const [rq, rk] = g.op('Split', [rqk, g.int64([qDim, kvDim])], { axis: -1 }, 2); // [B, N, qDim], [B, N, kvDim]
    const v3 = layout.sequences(v); // [B, N, kvDim]
    // Scale defaults to 1/sqrt(headDim); the mask is added to the scaled scores. The kernel needs its
    // present K/V outputs when given a past; they stay inside the graph (only the new rows leave).
    const [attn] = g.op('Attention', [rq, rk, v3, io.bias, GRAPH_IO.pastKey(l), GRAPH_IO.pastValue(l)], { q_num_heads: c.nHeads, kv_num_heads: c.nKvHeads }, 3); // [B, N, qDim]
    newKeys.push(rk);
    newValues.push(v3);
    let h2: string;
    [h2, x] = addNorm(g, x, layout.linear(layout.tokens(attn, qDim), lw.wo), lw.ffnNorm, c.normEps);
    pending = layout.mlp(h2, lw.gateUp, lw.down, c.hiddenDim);
  });
  emitNewKv(g, newKeys, newValues);
  const [xf] = pending === undefined ? [rmsNorm(g, x, fw.finalNorm, c.normEps)] : addNorm(g, x, pending, fw.finalNorm, c.normEps);
  return layout.sequences(layout.linear(xf, fw.classifier));
}

/**
 * How a forward multiplies its rows by the weights:
 * - rows: tokens as [B, N, f]; x W^T with W^T [in, out] as the B operand, which
 *   onnxruntime prepacks; one row streams the packed weights once (memory-bound).
 * - lanes: tokens as [B*N, f]; (W x^T)^T, W [out, in] as the A operand and the
 *   rows as the columns of B: each weight element is broadcast against up to
 *   16 rows in one AVX-512 FMA, so 1 to 16 rows cost the same instructions
 *   (x78M weight MatMuls at 16 rows: lanes about 300 GFLOP/s, rows about 180).
 */
export type LayoutKind = 'rows' | 'lanes';

interface Layout {
  /** Token embeddings of input_ids in token form. */
  embed(table: string): string;
  /** Token form x [.., in] -> x W^T [.., out], token form. */
  linear(x: string, w: Matrix): string;
  /** SwiGLU MLP of h [.., dim]: W2 (silu(W1 h) * W3 h), with gateUp = [W1; W3] (2 hidden outputs), down = W2. */
  mlp(h: string, gateUp: Matrix, down: Matrix, hidden: number): string;
  /** Token form -> [B, N, f]. */
  sequences(x: string): string;
  /** [B, N, f] -> token form. */
  tokens(x: string, f: number): string;
}

const T2 = { perm: [1, 0] };

const LAYOUTS: Record<LayoutKind, (g: GraphBuilder, ids: string) => Layout> = {
  rows(g, ids) {
    const linear = (x: string, w: Matrix) => timesWT(g, x, w);
    return {
      embed: (table) => g.op1('Gather', [table, ids]),
      linear,
      mlp(h, gateUp, down, hidden) {
        const [gate, up] = g.op('Split', [linear(h, gateUp), g.int64([hidden, hidden])], { axis: -1 }, 2);
        return linear(swiGlu(g, gate, up), down);
      },
      sequences: (x) => x,
      tokens: (x) => x,
    };
  },
  lanes(g, ids) {
    const seqShape = sequenceShape(g, ids);
    const transpose = (x: string) => g.op1('Transpose', [x], T2);
    return {
      embed: (table) => g.op1('Gather', [table, g.op1('Reshape', [ids, g.int64([-1])])]),
      linear: (x, w) => transpose(g.op1('MatMul', [floatOf(w), transpose(x)])),
      mlp(h, gateUp, down, hidden) {
        // gate, up and their product stay transposed ([hidden, B*N]): the down projection takes them as they are.
        const [gate, up] = g.op('Split', [g.op1('MatMul', [floatOf(gateUp), transpose(h)]), g.int64([hidden, hidden])], { axis: 0 }, 2);
        return transpose(g.op1('MatMul', [floatOf(down), swiGlu(g, gate, up)]));
      },
      sequences: (x) => g.op1('Reshape', [x, seqShape]),
      tokens: (x, f) => g.op1('Reshape', [x, g.int64([-1, f])]),
    };
  },
};

/** [B, N, -1] from input_ids [B, N]. */
function sequenceShape(g: GraphBuilder, ids: string): string {
  return g.op1('Concat', [g.op1('Shape', [ids]), g.int64([-1])], { axis: 0 });
}

/** silu(gate) * up, elementwise. */
function swiGlu(g: GraphBuilder, gate: string, up: string): string {
  return g.op1('Mul', [g.op1('Mul', [gate, g.op1('Sigmoid', [gate])]), up]);
}

/** The float initializer of a lanes-layout matrix. */
function floatOf(w: Matrix): string {
  if ('float' in w) return w.float;
  throw new EngineError('quantized weights run in the rows layout only (MatMulNBits takes the weights as its B operand)');
}

/**
 * The row-major matrices W_i [out_i, in] stacked along their output axis as one
 * [sum out_i, in] weight: float32 ones as one initializer, stored transposed
 * ([in, sum out_i]) when `transposed`; quantized ones of one type as one
 * MatMulNBits weight (rows layout); a mix as one product per run of the same
 * type, concatenated along the features.
 */
function stackedWeight(g: GraphBuilder, how: StackHow, ws: readonly WeightMatrix[], inDim: number): Matrix {
  const runs = sameTypeRuns(ws);
  const weights = runs.map((run, i) => runWeight(g, runs.length === 1 ? how : { ...how, name: `${how.name}.${i}` }, run, inDim));
  if (weights.length === 1) return weights[0];
  return {
    apply: (x) =>
      g.op1(
        'Concat',
        weights.map((w) => timesWT(g, x, w)),
        { axis: -1 },
      ),
  };
}

/** Rows layout: x [.., in] -> x W^T [.., out]. */
function timesWT(g: GraphBuilder, x: string, w: Matrix): string {
  return 'float' in w ? g.op1('MatMul', [x, w.float]) : w.apply(x);
}

/** A stacked weight's initializer name, whether float ones are stored transposed, and MatMulNBits' accuracy_level. */
interface StackHow {
  readonly name: string;
  readonly transposed: boolean;
  readonly accuracy: NBitsAccuracy;
}

/** One stacked weight of matrices of one type. */
function runWeight(g: GraphBuilder, { name, transposed, accuracy }: StackHow, run: readonly WeightMatrix[], inDim: number): Matrix {
  const ws = run.map(inMemory); // once each: float matrices left in their file are read here
  if (!ws.every((m): m is Float32Array => m instanceof Float32Array)) return { apply: nbitsWeight(g, stackedQuant(ws as QuantMatrix[]), name, accuracy) };
  const out = ws.reduce((s, m) => s + m.length, 0) / inDim;
  return { float: transposed ? g.weight(name, stackTransposed(ws, out, inDim), [inDim, out]) : g.weight(name, stack(ws, out * inDim), [out, inDim]) };
}

/** Row-major matrices [out_i, in] stacked as one [sum out_i, in] array (the matrix itself when there is one). */
function stack(ws: readonly Float32Array[], size: number): Float32Array {
  if (ws.length === 1) return ws[0];
  const data = new Float32Array(size);
  let offset = 0;
  for (const m of ws) {
    data.set(m, offset);
    offset += m.length;
  }
  return data;
}

/** The transpose [in, out] of the stack of row-major matrices [out_i, in] (out = sum out_i), without an intermediate stack. */
function stackTransposed(ws: readonly Float32Array[], out: number, inDim: number): Float32Array {
  if (ws.length === 1) return transpose(ws[0], out, inDim);
  const t = new Float32Array(out * inDim);
  let row0 = 0;
  for (const m of ws) {
    const rows = m.length / inDim;
    for (let r = 0; r < rows; r++) for (let c = 0; c < inDim; c++) t[c * out + row0 + r] = m[r * inDim + c];
    row0 += rows;
  }
  return t;
}

/** Quantized matrices of one type and width as one [sum rows, cols] matrix (rows are whole blocks). */
function stackedQuant(ws: readonly QuantMatrix[]): QuantMatrix {
  if (ws.length === 1) return ws[0];
  const parts = ws.map((m) => m.data); // once each: data may be read from a file on access
  const data = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return { type: ws[0].type, rows: ws.reduce((s, m) => s + m.rows, 0), cols: ws[0].cols, data };
}

/** Maximal runs of consecutive matrices of the same type (float32, or one block type). */
function sameTypeRuns(ws: readonly WeightMatrix[]): WeightMatrix[][] {
  const typeOf = (m: WeightMatrix) => (m instanceof Float32Array ? 'f32' : m.type);
  const runs: WeightMatrix[][] = [];
  ws.forEach((m, i) => (i > 0 && typeOf(m) === typeOf(ws[i - 1]) ? runs[runs.length - 1].push(m) : runs.push([m])));
  return runs;
}

interface RopeCache {
  readonly cos: string; // [ropeRows(c), half]
  readonly sin: string; // [ropeRows(c), half]
  readonly half: number; // headDim / 2
}

/** Fewest rows of the cos/sin cache, whatever the context (see ropeRows). */
const ROPE_MIN_ROWS = 4096;

/**
 * Rows of the fused graph's cos/sin cache, and so the most rows one request
 * of a forward may have: onnxruntime's RotaryEmbedding refuses a sequence
 * longer than its cache, and a tree's rows can outnumber the context's
 * positions (a wide tree). Rows past maxSeqLen hold later positions' values;
 * no token sits there (the engine checks depths against the context).
 */
export function ropeRows(c: LlamaConfig): number {
  return Math.max(c.maxSeqLen, ROPE_MIN_ROWS);
}

/** cos/sin of pos * theta^(-2i/headDim) for positions 0..ropeRows(c)-1, in float32 steps as llama2.c's run.c computes them. */
function ropeCache(g: GraphBuilder, c: LlamaConfig): RopeCache {
  const hd = headDim(c);
  const half = hd / 2;
  const rows = ropeRows(c);
  const cos = new Float32Array(rows * half);
  const sin = new Float32Array(rows * half);
  for (let i = 0; i < half; i++) {
    const freq = Math.fround(1 / Math.fround(Math.pow(c.ropeTheta, Math.fround((2 * i) / hd))));
    for (let pos = 0; pos < rows; pos++) {
      const angle = Math.fround(pos * freq);
      cos[pos * half + i] = Math.cos(angle);
      sin[pos * half + i] = Math.sin(angle);
    }
  }
  return { cos: g.weight('rope_cos', cos, [rows, half]), sin: g.weight('rope_sin', sin, [rows, half]), half };
}

/**
 * Interleaved (adjacent-pair) RoPE of x [B, N, heads * headDim] at positions
 * [B, N]; N must not exceed ropeRows (the engine checks).
 */
function rotary(g: GraphBuilder, x: string, heads: number, rope: RopeCache, positions: string): string {
  return g.op1('RotaryEmbedding', [x, rope.cos, rope.sin, positions], { interleaved: 1, num_heads: heads });
}

/**
 * The residual add and the next RMSNorm in one kernel (onnxruntime's contrib
 * SkipSimplifiedLayerNormalization): returns [RMSNorm(x + delta) * weight, x + delta].
 */
function addNorm(g: GraphBuilder, x: string, delta: string, weight: string, eps: number): [string, string] {
  const [normed, sum] = [g.fresh('skipnorm'), g.fresh('residual')];
  // Outputs 1 and 2 (mean, inverse standard deviation) are optional and left out.
  g.op('com.microsoft:SkipSimplifiedLayerNormalization', [x, delta, weight], { epsilon: eps }, 4, [normed, '', '', sum]);
  return [normed, sum];
}

function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  return g.op1('RMSNormalization', [x, weight], { axis: -1, epsilon: eps });
}
