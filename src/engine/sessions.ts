import { buildLlamaModel, type LlamaGraphOptions } from '../model/graph/llama-graph.js';
import type { LayoutKind } from '../model/graph/llama-graph-fused.js';
import { LAYER_MATRICES, matrixBytes, weightsType, type ModelWeights } from '../model/weights.js';
import { EngineError } from '../core/errors.js';
import { OrtSession, type SessionOptions } from './ort.js';

/**
 * Default for models of at least LANES_MIN_WEIGHT_BYTES: forwards of at least
 * this many rows (batch x tree rows) run the lanes-layout graph, smaller ones
 * the rows-layout graph (llama-graph-fused.ts). Measured on the weight MatMuls
 * of stories260K-x78M (2 threads): at 4 rows, rows layout 7.4 ms vs lanes
 * 9.1 ms; at 8 rows 10.5 vs 9.4; at 16 rows 14.6 vs 9.3.
 */
export const LANES_MIN_ROWS = 8;

/**
 * Models with fewer weight bytes than this (twice this machine's 32 MiB L3
 * cache) get the rows layout only: their weights stay in cache, both layouts
 * cost about the same, and a second session is not worth its memory.
 */
export const LANES_MIN_WEIGHT_BYTES = 64 * 2 ** 20;

/** Initializers of at least this many bytes reach onnxruntime as external data (see ForwardSessions.create). */
const EXTERNAL_MIN_BYTES = 4096;

export type ForwardSessionOptions = SessionOptions &
  LlamaGraphOptions & {
    /**
     * Forwards of at least this many rows (batch x tree rows) run the
     * lanes-layout graph (fused graph only); Infinity = never. Default:
     * LANES_MIN_ROWS for models of at least LANES_MIN_WEIGHT_BYTES, else never.
     */
    readonly lanesFromRows?: number;
  };

/**
 * The onnxruntime sessions of one engine model: the forward graph in the rows
 * layout, and for large models the same function in the lanes layout, whose
 * MatMuls cost the same instructions for 1 to 16 rows. Both hold their own
 * copy of the weights.
 */
export class ForwardSessions {
  /** By descending fromRows; the last one has fromRows 0. */
  private constructor(private readonly byRows: readonly { readonly fromRows: number; readonly layout: LayoutKind; readonly session: OrtSession }[]) {}

  /**
   * A session per layout; with profileFilePrefix, each profiles into
   * `<prefix>_<layout>_<date>.json`; with dumpOnnxPath, the lanes graph goes
   * to `<name>.lanes.onnx` (the rows graph, or the only one, to the path itself).
   */
  static async create(w: ModelWeights, layers: number, opts: ForwardSessionOptions): Promise<ForwardSessions> {
    const graph = opts.graph ?? 'fused';
    const lanesFromRows = graph === 'fused' ? (opts.lanesFromRows ?? defaultLanesFromRows(w, layers)) : Infinity;
    if (!(lanesFromRows >= 1)) throw new EngineError(`lanesFromRows must be a row count >= 1 (or Infinity for never), got ${lanesFromRows}`);
    if (lanesFromRows !== Infinity && weightsType(w) !== 'f32') {
      throw new EngineError(`quantized weights (${weightsType(w)}) run in the rows layout only (MatMulNBits takes the weights as its B operand): drop lanesFromRows`);
    }
    const build = async (layout: LayoutKind, fromRows: number, stopSpinningAfterRun = opts.stopSpinningAfterRun) => {
      const profileFilePrefix = opts.profileFilePrefix === undefined ? undefined : `${opts.profileFilePrefix}_${layout}`;
      const dumpOnnxPath = opts.dumpOnnxPath === undefined || layout === 'rows' ? opts.dumpOnnxPath : lanesPath(opts.dumpOnnxPath);
      // Weights go to onnxruntime as in-memory external data (not copied into the serialized model); a dump holds them inline.
      const model = buildLlamaModel(w, { layers, graph, layout, quantAccuracy: opts.quantAccuracy }, dumpOnnxPath === undefined ? EXTERNAL_MIN_BYTES : Infinity);
      const session = await OrtSession.create(model, { ...opts, stopSpinningAfterRun, profileFilePrefix, dumpOnnxPath });
      return { fromRows, layout, session };
    };
    if (lanesFromRows <= 1) return new ForwardSessions([await build('lanes', 0)]);
    if (lanesFromRows === Infinity) return new ForwardSessions([await build('rows', 0)]);
    // Both sessions stop their threads spinning when a run returns: threads spinning after one session's run
    // would take the cores from the other's next run.
    // Rows first: its transposed arrays (a whole copy of the weights) are garbage before the lanes graph's arrays are built.
    const rows = await build('rows', 0, true);
    return new ForwardSessions([await build('lanes', lanesFromRows, true), rows]);
  }

  /** The session for a forward of `rows` rows (batch x tree rows). */
  pick(rows: number): OrtSession {
    return this.entry(rows).session;
  }

  /** The layout of the graph that runs a forward of `rows` rows. */
  layoutFor(rows: number): LayoutKind {
    return this.entry(rows).layout;
  }

  endProfiling(): void {
    for (const s of this.byRows) s.session.endProfiling();
  }

  async dispose(): Promise<void> {
    for (const s of this.byRows) await s.session.dispose();
  }

  private entry(rows: number) {
    return this.byRows.find((s) => rows >= s.fromRows) ?? this.byRows[this.byRows.length - 1];
  }
}

/** `graph.onnx` -> `graph.lanes.onnx` (any other name: `<name>.lanes.onnx`). */
function lanesPath(p: string): string {
  return p.endsWith('.onnx') ? `${p.slice(0, -'.onnx'.length)}.lanes.onnx` : `${p}.lanes.onnx`;
}

/**
 * lanesFromRows when not given: by the bytes of the weight matrices of the first
 * `layers` layers and the classifier; never for quantized weights (rows layout only).
 */
export function defaultLanesFromRows(w: ModelWeights, layers: number): number {
  if (weightsType(w) !== 'f32') return Infinity;
  const matrices = w.layers.slice(0, layers).flatMap((l) => LAYER_MATRICES.map((f) => l[f]));
  const bytes = [w.classifier, ...matrices].reduce((sum, m) => sum + matrixBytes(m), 0);
  return bytes >= LANES_MIN_WEIGHT_BYTES ? LANES_MIN_ROWS : Infinity;
}
