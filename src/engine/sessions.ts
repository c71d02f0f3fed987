import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildLlamaModel, spillLlamaModel, type GraphKind, type LlamaGraphOptions } from '../model/graph/llama-graph.js';
import { SpillFile } from '../model/graph/spill.js';
import { ropeRows, type LayoutKind } from '../model/graph/llama-graph-fused.js';
import { LAYER_MATRICES, matrixBytes, weightsType, type LlamaConfig, type ModelWeights } from '../model/weights.js';
import { EngineError } from '../core/errors.js';
import { collectGarbage } from './gc.js';
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

/** Initializers of at least this many bytes reach onnxruntime as external data (see spilledSession). */
const EXTERNAL_MIN_BYTES = 4096;

/**
 * A session of the forward graph whose weight operands (transposed, stacked or
 * repacked copies of `w`'s matrices) are written to an external-data file in a
 * temporary folder while the graph is built, each garbage once written, and
 * read from there by onnxruntime; the folder is removed once the session
 * exists (onnxruntime holds what it read, or maps the file, which outlives its
 * name on Linux). So the operands are never all in memory beside
 * onnxruntime's own copy: on x78M the rows session's peak RSS fell from 1131
 * to 696 MiB at f32, 407 to 286 at q8_0, 279 to 210 at q4_0 (docs/quantization.md#memory).
 */
async function spilledSession(w: ModelWeights, graphOpts: LlamaGraphOptions, sessionOpts: SessionOptions): Promise<OrtSession> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-graph-'));
  try {
    const sink = new SpillFile(dir, 'weights.bin', EXTERNAL_MIN_BYTES);
    let bytes: Uint8Array;
    try {
      bytes = spillLlamaModel(w, graphOpts, sink);
    } finally {
      sink.close();
    }
    const modelPath = path.join(dir, 'model.onnx');
    writeFileSync(modelPath, bytes);
    await collectGarbage(); // the operand arrays written to the file, before onnxruntime allocates
    return await OrtSession.create({ path: modelPath }, sessionOpts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
  private constructor(
    private readonly byRows: readonly { readonly fromRows: number; readonly layout: LayoutKind; readonly session: OrtSession }[],
    /** The most rows one request of a forward may have (the fused graph's RoPE cache; the reference graph has no bound). */
    readonly maxRequestRows: number,
  ) {}

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
      const graphOpts = { layers, graph, layout, quantAccuracy: opts.quantAccuracy };
      const sessionOpts = { ...opts, stopSpinningAfterRun, profileFilePrefix, dumpOnnxPath };
      // A dump holds the weights inline; otherwise they reach onnxruntime through a file (spilledSession).
      const session = dumpOnnxPath === undefined ? await spilledSession(w, graphOpts, sessionOpts) : await OrtSession.create(buildLlamaModel(w, graphOpts, Infinity), sessionOpts);
      return { fromRows, layout, session };
    };
    const maxRows = requestRowBound(w.config, graph);
    if (lanesFromRows <= 1) return new ForwardSessions([await build('lanes', 0)], maxRows);
    if (lanesFromRows === Infinity) return new ForwardSessions([await build('rows', 0)], maxRows);
    // Both sessions stop their threads spinning when a run returns: threads spinning after one session's run
    // would take the cores from the other's next run.
    const rows = await build('rows', 0, true);
    return new ForwardSessions([await build('lanes', lanesFromRows, true), rows], maxRows);
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

/**
 * The most rows one request of a forward may have (root and tree nodes, the
 * uncommitted chain included): the fused graph's RoPE cache (ropeRows); the
 * reference graph has no bound.
 */
export function requestRowBound(c: LlamaConfig, graph: GraphKind = 'fused'): number {
  return graph === 'fused' ? ropeRows(c) : Infinity;
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
