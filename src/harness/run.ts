/**
 * Running an experiment (`specinfer run`): every cell of the shard, each
 * cell's records appended to the results folder as it ends (so --resume
 * skips finished cells), then the report (summary tables, charts,
 * report.html) from the records. Models are shared across cells.
 */
import path from 'node:path';
import { monotonicClock, type Clock } from '../core/types.js';
import type { CellInfo, DecodeResult } from './cell.js';
import { runDecodeCell, type CellContext, type CellPrompts } from './decode-cell.js';
import { envStrings, runEnv } from './env.js';
import type { Experiment } from './load.js';
import { lockResults } from './lock.js';
import { ModelCache } from './model-cache.js';
import type { CellPlan } from './plan.js';
import { SILENT, type Progress } from './progress.js';
import { finishCell, openResults, readJson, readJsonl, recordsFile, RESULT_FILES, writeJson } from './results.js';
import { shardCells, WHOLE, type Shard } from './shard.js';
import { runTopkCell } from './topk.js';
import { readWorkload } from './workload.js';

/** Measures one decode cell: its step records and request outputs. */
export type CellMeasure = (plan: CellPlan, prompts: CellPrompts, ctx: CellContext) => Promise<DecodeResult>;

/** What any measure gives: records (one object per line of the records file), outputs (decode only). */
type Measured = { readonly records: readonly object[]; readonly outputs: readonly object[] };

export interface RunOptions {
  readonly out: string;
  readonly shard?: Shard;
  readonly resume?: boolean;
  readonly clock?: Clock;
  /** The progress display for `cells` cells and `requests` requests (default: none). */
  readonly progress?: (cells: number, requests: number) => Progress;
  /** Render the report at the end (default true). */
  readonly report?: boolean;
  /** Measures decode cells instead of decoding (replay). */
  readonly measure?: CellMeasure;
  /** After each cell is written (tests interrupt runs here). */
  readonly afterCell?: (id: string) => void;
  /** Problems the run works around (e.g. a damaged cell run again on resume). */
  readonly warn?: (message: string) => void;
  /** Extra entries for the report's environment list (e.g. the trace replayed). */
  readonly metaNotes?: Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly dir: string;
  readonly cells: readonly CellInfo[];
  /** Cells measured now, and cells found done (resume). */
  readonly ran: readonly string[];
  readonly skipped: readonly string[];
}

/** Runs the experiment's cells (of one shard) into `opts.out`, holding its lock (see lock.ts). */
export async function runExperiment(exp: Experiment, opts: RunOptions): Promise<RunResult> {
  const lock = lockResults(opts.out);
  try {
    return await runLocked(exp, opts);
  } finally {
    lock.release();
  }
}

async function runLocked(exp: Experiment, opts: RunOptions): Promise<RunResult> {
  const shard = opts.shard ?? WHOLE;
  const clock = opts.clock ?? monotonicClock;
  const cells = shardCells(exp.cells, shard);
  const done = openResults(opts.out, exp.resolvedYaml, shard, exp.cells.length, exp.measure, opts.resume ?? false, opts.warn);
  await writeRunFiles(opts.out, exp, cells, opts.metaNotes);
  const prompts = promptsOf();
  const progress = opts.progress?.(cells.length, cells.reduce((n, c) => n + requestCount(c, prompts(c)), 0)) ?? SILENT;
  const models = new ModelCache();
  const ran: string[] = [];
  try {
    for (const plan of cells) {
      const list = prompts(plan);
      if (done.has(plan.info.id)) {
        progress.skipCell(plan.info.id, requestCount(plan, list));
        continue;
      }
      progress.startCell(plan.info.id, plan.info.label, requestCount(plan, list));
      const ctx: CellContext = { models, clock, onBatch: (r, t, ms) => progress.batch(r, t, ms) };
      const { records, outputs } = await measureCell(exp, opts)(plan, list, ctx);
      finishCell(opts.out, exp.measure, plan.info.id, records, outputs);
      progress.endCell(await cellDetail(exp, records));
      ran.push(plan.info.id);
      opts.afterCell?.(plan.info.id);
    }
  } finally {
    progress.stop();
    await models.dispose();
  }
  if (opts.report ?? true) await renderReport(opts.out, exp.measure);
  return { dir: opts.out, cells: cells.map((c) => c.info), ran, skipped: cells.filter((c) => done.has(c.info.id)).map((c) => c.info.id) };
}

function measureCell(exp: Experiment, opts: RunOptions): (plan: CellPlan, prompts: CellPrompts, ctx: CellContext) => Promise<Measured> {
  if (exp.measure === 'topk-agreement') return async (plan, prompts, ctx) => ({ records: await runTopkCell(plan, prompts, ctx), outputs: [] });
  return opts.measure ?? runDecodeCell;
}

function requestCount(plan: CellPlan, prompts: CellPrompts): number {
  return prompts.reduce((n, w) => n + w.prompts.length, 0) * plan.config.seeds.length;
}

/** Each cell's prompts (workload files read once). */
function promptsOf(): (plan: CellPlan) => CellPrompts {
  const read = new Map<string, ReturnType<typeof readWorkload>>();
  return (plan) =>
    plan.workloads.map((workload) => {
      if (!read.has(workload)) read.set(workload, readWorkload(workload));
      const all = read.get(workload) ?? [];
      return { workload, prompts: all.slice(0, plan.config.promptsPerWorkload ?? all.length) };
    });
}

/** tokens/step of a decode cell for its log line (from src/report, where metrics live). */
async function cellDetail(exp: Experiment, records: readonly object[]): Promise<string> {
  if (exp.measure !== 'decode' || records.length === 0) return '';
  const { summarize } = await import('../report/metrics.js');
  return `${summarize(records as Parameters<typeof summarize>[0]).tokensPerStep.toFixed(2)} tokens/step`;
}

/** cells.json, env.json and meta.json of a run. */
async function writeRunFiles(dir: string, exp: Experiment, cells: readonly CellPlan[], notes: Readonly<Record<string, string>> = {}): Promise<void> {
  const { ORT_VERSION } = await import('../engine/ort.js');
  const env = runEnv(ORT_VERSION);
  writeJson(path.join(dir, RESULT_FILES.cells), cells.map((c) => ({ ...c.info, ...(c.lossy ? { lossy: c.lossy } : {}), config: c.config })));
  writeJson(path.join(dir, RESULT_FILES.env), env);
  const warnings = Object.fromEntries(exp.warnings.map((w, i) => [`warning ${i + 1}`, w]));
  const title = exp.description ? `${exp.name}: ${exp.description}` : exp.name;
  writeJson(path.join(dir, RESULT_FILES.meta), { config: exp.file, title, env: { ...envStrings(env), ...notes, ...warnings } });
}

/** Renders summary tables, charts and report.html of a results folder from its files. */
export async function renderReport(dir: string, measure: 'decode' | 'topk-agreement'): Promise<void> {
  if (measure === 'topk-agreement') {
    const { writeTopkReport } = await import('../report/topk.js');
    const cells = readJson<CellInfo[]>(path.join(dir, RESULT_FILES.cells));
    const meta = readJson<{ config?: string; title?: string; env?: Record<string, string> }>(path.join(dir, RESULT_FILES.meta));
    await writeTopkReport(dir, cells, readJsonl(recordsFile(dir, measure)), meta);
    return;
  }
  const { readRunDir, writeReport } = await import('../report/report.js');
  const run = readRunDir(dir);
  await writeReport(dir, run.cells, run.records, run.meta, run.outputs);
}
