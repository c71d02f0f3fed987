/**
 * Running an experiment (`specinfer run`): every cell of the shard, each
 * cell's records appended to the results folder as it ends (so --resume
 * skips finished cells). Models are shared across cells. The report (summary
 * tables, charts, report.html) is rendered from the folder by src/report
 * (renderReport), the layer above.
 */
import path from 'node:path';
import { monotonicClock, type Clock } from '../core/types.js';
import type { CellInfo, DecodeResult } from './cell.js';
import { runDecodeCell, type CellContext, type CellPrompts } from './decode-cell.js';
import { endedEnv, envStrings, runEnv, type RunEnv } from './env.js';
import { cellSeeds } from './experiment.js';
import { openExperiment, type Experiment } from './load.js';
import { importPlugins } from './plugins.js';
import { lockResults } from './lock.js';
import { ModelCache } from './model-cache.js';
import type { CellPlan } from './plan.js';
import { SILENT, type Progress } from './progress.js';
import { finishCell, openResults, RESULT_FILES, writeJson } from './results.js';
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
  /** The detail appended to a finished cell's progress line (the CLI gives tokens/step, from src/report); default none. */
  readonly cellDetail?: (measure: Experiment['measure'], records: readonly object[]) => string;
  /** Measures decode cells instead of decoding (replay). */
  readonly measure?: CellMeasure;
  /** After each cell is written (tests interrupt runs here). */
  readonly afterCell?: (id: string) => void;
  /** Problems the run works around (e.g. a damaged cell run again on resume). */
  readonly warn?: (message: string) => void;
  /** Extra entries for the report's environment list (e.g. the trace replayed). */
  readonly metaNotes?: Readonly<Record<string, string>>;
  /** Whether the records' times measure the run (default true; false for replay: the report then shows no timings). */
  readonly timed?: boolean;
}

export interface RunResult {
  readonly dir: string;
  readonly cells: readonly CellInfo[];
  /** Cells measured now, and cells found done (resume). */
  readonly ran: readonly string[];
  readonly skipped: readonly string[];
}

/**
 * Runs the experiment's cells (of one shard) into `opts.out`, holding its
 * lock (see lock.ts). `exp` is a loaded experiment or an experiment file
 * (opened with its plugins); the experiment's plugins are registered first.
 */
export async function runExperiment(exp: Experiment | string, opts: RunOptions): Promise<RunResult> {
  const loaded = typeof exp === 'string' ? await openExperiment(exp) : exp;
  await importPlugins(loaded.plugins);
  const lock = lockResults(opts.out);
  try {
    return await runLocked(loaded, opts);
  } finally {
    lock.release();
  }
}

async function runLocked(exp: Experiment, opts: RunOptions): Promise<RunResult> {
  const shard = opts.shard ?? WHOLE;
  const clock = opts.clock ?? monotonicClock;
  const cells = shardCells(exp.cells, shard);
  const done = openResults(opts.out, exp.resolvedYaml, shard, exp.cells.length, exp.measure, opts.resume ?? false, opts.warn);
  const files = await writeRunFiles(opts.out, exp, cells, opts);
  const prompts = promptsOf();
  const progress =
    opts.progress?.(
      cells.length,
      cells.reduce((n, c) => n + requestCount(c, prompts(c)), 0),
    ) ?? SILENT;
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
      progress.endCell(opts.cellDetail?.(exp.measure, records) ?? '');
      ran.push(plan.info.id);
      opts.afterCell?.(plan.info.id);
    }
  } finally {
    progress.stop();
    await models.dispose();
  }
  writeEnvFiles(opts.out, endedEnv(files.env), files.meta);
  return { dir: opts.out, cells: cells.map((c) => c.info), ran, skipped: cells.filter((c) => done.has(c.info.id)).map((c) => c.info.id) };
}

function measureCell(exp: Experiment, opts: RunOptions): (plan: CellPlan, prompts: CellPrompts, ctx: CellContext) => Promise<Measured> {
  if (exp.measure === 'topk-agreement') return async (plan, prompts, ctx) => ({ records: await runTopkCell(plan, prompts, ctx), outputs: [] });
  return opts.measure ?? runDecodeCell;
}

function requestCount(plan: CellPlan, prompts: CellPrompts): number {
  return prompts.reduce((n, w) => n + w.prompts.length, 0) * cellSeeds(plan.config).length;
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

/** meta.json without its env entries: what the report shows besides env.json. */
interface MetaBase {
  readonly config: string;
  readonly title: string;
  readonly timed: boolean;
  readonly notes: Readonly<Record<string, string>>;
}

/** cells.json, env.json and meta.json at the start of a run; the env and meta to rewrite at its end. */
async function writeRunFiles(dir: string, exp: Experiment, cells: readonly CellPlan[], opts: RunOptions): Promise<{ env: RunEnv; meta: MetaBase }> {
  const { ORT_VERSION } = await import('../engine/ort.js');
  const env = runEnv(
    ORT_VERSION,
    cells.map((c) => c.config.engine.threads),
  );
  writeJson(
    path.join(dir, RESULT_FILES.cells),
    cells.map((c) => ({ ...c.info, ...(c.lossy ? { lossy: c.lossy } : {}), config: c.config })),
  );
  const warnings = Object.fromEntries(exp.warnings.map((w, i) => [`warning ${i + 1}`, w]));
  const title = exp.description ? `${exp.name}: ${exp.description}` : exp.name;
  const meta: MetaBase = { config: exp.file, title, timed: opts.timed ?? true, notes: { ...opts.metaNotes, ...warnings } };
  writeEnvFiles(dir, env, meta);
  return { env, meta };
}

/** env.json and meta.json (its env list: the env as text, then the notes). */
function writeEnvFiles(dir: string, env: RunEnv, meta: MetaBase): void {
  writeJson(path.join(dir, RESULT_FILES.env), env);
  const { notes, ...rest } = meta;
  writeJson(path.join(dir, RESULT_FILES.meta), { ...rest, env: { ...envStrings(env), ...notes } });
}
