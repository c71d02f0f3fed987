/**
 * Where a forward's time goes: onnxruntime's kernel profile of tree forwards
 * at a fixed prefix, summed per operator type (milliseconds per forward).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineModel } from '../engine/model.js';
import type { GraphKind } from '../model/graph/llama-graph.js';
import { loadModelAs } from '../model/models.js';
import type { WeightsType } from '../model/formats/quant.js';
import type { TreeShape } from '../core/tree-shape.js';

/** Operator type -> milliseconds per forward; `total` is the sum of all kernels. */
export type OpProfile = Record<string, number>;

interface ProfileEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly ts?: number; // microseconds
  readonly dur?: number; // microseconds
  readonly args?: { readonly op_name?: string };
}

/**
 * The kernel times per operator type of the last `runs` session runs of a
 * profile: summed within each run, then the median over the runs per
 * operator type (`total`: the median of the runs' totals), so a run
 * preempted on a shared machine does not skew the figures.
 */
export function opProfile(events: readonly ProfileEvent[], runs: number): OpProfile {
  const windows = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => [e.ts ?? 0, (e.ts ?? 0) + (e.dur ?? 0)] as const)
    .sort((a, b) => a[0] - b[0])
    .slice(-runs);
  const perRun: OpProfile[] = windows.map(() => ({ total: 0 }));
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || e.args?.op_name === undefined) continue;
    const w = windows.findIndex(([from, to]) => (e.ts ?? 0) >= from && (e.ts ?? 0) <= to);
    if (w < 0) continue;
    const ms = (e.dur ?? 0) / 1000;
    perRun[w][e.args.op_name] = (perRun[w][e.args.op_name] ?? 0) + ms;
    perRun[w].total += ms;
  }
  const ops = new Set(perRun.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...ops].map((op) => [op, median(perRun.map((r) => r[op] ?? 0))]));
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Profiles `reps` forwards of each tree, each on a freshly opened prompt (its
 * prefill is not counted), in a session of `ref`; returns one OpProfile per
 * tree keyed by its rows. Profiling adds a fixed cost per kernel: compare
 * shares, not totals, with unprofiled timings.
 */
export async function profileForwards(
  ref: string,
  opts: { threads: number; graph: GraphKind; weights?: WeightsType },
  prompt: Int32Array,
  trees: readonly TreeShape[],
  reps: number,
): Promise<Record<string, OpProfile>> {
  const { weights, ...engineOpts } = opts;
  const loaded = await loadModelAs(ref, weights);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-profile-'));
  const results: Record<string, OpProfile> = {};
  try {
    for (const tree of trees) {
      const rows = tree.tokens.length + 1;
      const prefix = path.join(dir, `rows${rows}`);
      const model = await EngineModel.create(
        { id: loaded.id, weights: loaded.weights, bosId: loaded.tokenizer.bosId, eosIds: [loaded.tokenizer.eosId] },
        { ...engineOpts, profileFilePrefix: prefix },
      );
      try {
        const seqs = [];
        for (let r = 0; r < reps; r++) seqs.push(await model.open(prompt)); // prefills first: the last `reps` runs are the trees
        for (const seq of seqs) await seq.score(tree);
        model.endProfiling();
      } finally {
        await model.dispose();
      }
      const file = readdirSync(dir).find((f) => f.startsWith(`rows${rows}_${model.layoutFor(rows)}_`) && f.endsWith('.json'));
      if (file === undefined) throw new Error(`onnxruntime wrote no profile ${prefix}_*.json`);
      results[rows] = opProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[], reps);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
