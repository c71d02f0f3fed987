/**
 * The floor under the tree-forward cost ratio: a graph of nothing but a
 * model's weight MatMuls (per layer [Q|K|V], O, [gate|up], down, then the
 * classifier; the fused graph's shapes), each feeding the next, timed at M = 1
 * and M = 16 rows back to back, in the rows layout (x W^T, weights prepacked)
 * and at 16 rows also in the lanes layout (W x^T, llama-graph-fused.ts).
 * Attention, norms and the rest are absent, so M16 / M1 is what onnxruntime's
 * GEMM kernels alone cost for 16 rows against 1 on this machine.
 */
import { createRng } from '../core/rng.js';
import { monotonicClock } from '../core/types.js';
import { floatTensor, OrtSession } from '../engine/ort.js';
import { percentile } from '../report/metrics.js';
import { headDim, type LlamaConfig } from '../model/weights.js';
import { GraphBuilder } from '../model/graph/onnx-graph.js';

export interface MatmulFloor {
  readonly ms1: number; // median ms at M = 1
  readonly ms16: number; // median ms at M = 16, rows layout
  readonly ms16Lanes: number; // median ms at M = 16, lanes layout
  readonly ratio: number; // median of per-repetition ms16 / ms1
  readonly ratioLanes: number; // median of per-repetition ms16Lanes / ms1
  readonly weightBytes: number;
  readonly flop16: number; // FLOPs of the M = 16 pass
}

/** [in, out] of every weight MatMul of one forward, in order. */
function weightShapes(c: LlamaConfig): [number, number][] {
  const q = c.nHeads * headDim(c);
  const kv = c.nKvHeads * headDim(c);
  const layer: [number, number][] = [
    [c.dim, q + 2 * kv],
    [q, c.dim],
    [c.dim, 2 * c.hiddenDim],
    [c.hiddenDim, c.dim],
  ];
  return [...Array.from({ length: c.nLayers }, () => layer).flat(), [c.dim, c.vocabSize]];
}

/** A chain of MatMuls over random weights of these shapes; the input is [M, widest in] and each step slices what it needs. */
function matmulChain(shapes: readonly [number, number][], lanes: boolean): Uint8Array {
  const g = new GraphBuilder('matmul_floor');
  const widest = Math.max(...shapes.flatMap(([i, o]) => [i, o]));
  let x = g.input('x', 'float32', ['M', widest]);
  shapes.forEach(([inDim, out], i) => {
    // Uniform weights of variance 1 / inDim keep activations O(1) along the chain (no overflow to
    // inf/NaN); every matrix draws its own values (onnxruntime shares identical initializers).
    const rng = createRng(i + 1);
    const scale = Math.sqrt(12 / inDim);
    const w = Float32Array.from({ length: inDim * out }, () => (rng.uniform() - 0.5) * scale);
    const xin = g.op1('Slice', [x, g.int64([0]), g.int64([inDim]), g.int64([1])]);
    // Lanes: the same values read as W [out, in], multiplied as (W x^T)^T.
    const y = lanes
      ? g.op1('Transpose', [g.op1('MatMul', [g.weight(`w${i}`, w, [out, inDim]), g.op1('Transpose', [xin], { perm: [1, 0] })])], { perm: [1, 0] })
      : g.op1('MatMul', [xin, g.weight(`w${i}`, w, [inDim, out])]);
    // Pad back to the widest row so any next step can slice its input.
    x = out >= widest ? y : g.op1('Pad', [y, g.int64([0, 0, 0, widest - out])]);
  });
  g.op1('Identity', [x], {}, 'y');
  g.output('y', 'float32', ['M', widest]);
  return g.toBytes();
}

export async function matmulFloor(c: LlamaConfig, threads: number, reps: number): Promise<MatmulFloor> {
  const shapes = weightShapes(c);
  const widest = Math.max(...shapes.flatMap(([i, o]) => [i, o]));
  // As in ForwardSessions: threads spinning after one session's run would slow the other's.
  const rows = await OrtSession.create(matmulChain(shapes, false), { threads, stopSpinningAfterRun: true });
  const lanes = await OrtSession.create(matmulChain(shapes, true), { threads, stopSpinningAfterRun: true });
  const runs = [
    { session: rows, m: 1, times: [] as number[] },
    { session: rows, m: 16, times: [] as number[] },
    { session: lanes, m: 16, times: [] as number[] },
  ];
  try {
    for (let r = 0; r <= reps; r++) {
      for (const run of runs) {
        const x = floatTensor(new Float32Array(run.m * widest).fill(0.01), [run.m, widest]);
        const t0 = monotonicClock.nowMs();
        await run.session.run({ x });
        if (r > 0) run.times.push(monotonicClock.nowMs() - t0);
      }
    }
  } finally {
    await rows.dispose();
    await lanes.dispose();
  }
  const [one, sixteen, sixteenLanes] = runs.map((run) => run.times);
  const params = shapes.reduce((s, [i, o]) => s + i * o, 0);
  return {
    ms1: percentile(one, 0.5),
    ms16: percentile(sixteen, 0.5),
    ms16Lanes: percentile(sixteenLanes, 0.5),
    ratio: percentile(
      sixteen.map((t, r) => t / one[r]),
      0.5,
    ),
    ratioLanes: percentile(
      sixteenLanes.map((t, r) => t / one[r]),
      0.5,
    ),
    weightBytes: 4 * params,
    flop16: 2 * 16 * params,
  };
}
