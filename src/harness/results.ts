/**
 * A results folder as the runner writes it:
 *   config.resolved.yaml  the experiment with defaults filled in;
 *   cells.json            this folder's cells (CellInfo + each cell's config);
 *   steps.jsonl           one CellRecord per line (decode), or topk.jsonl (topk-agreement);
 *   outputs.jsonl         decode: one OutputRecord per request (cell, workload, prompt, seed),
 *                         written with the cell's records and dropped with them;
 *   cells-done.json       { shard, total, done: [cell ids], records: {cell id: lines} },
 *                         rewritten after each cell;
 *   env.json, meta.json   the machine; title/config/env for the report.
 * A cell's records are appended when the cell ends, then it joins `done`;
 * resuming drops records of cells not in `done` (an interrupted cell), runs
 * again a done cell whose records are damaged (fewer readable lines than
 * counted, or a line naming it that does not parse), and skips the others.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { makeOutDir } from './out-dir.js';
import type { Shard } from './shard.js';

export const RESULT_FILES = {
  resolved: 'config.resolved.yaml',
  cells: 'cells.json',
  steps: 'steps.jsonl',
  topk: 'topk.jsonl',
  outputs: 'outputs.jsonl',
  done: 'cells-done.json',
  env: 'env.json',
  meta: 'meta.json',
} as const;

export interface DoneState {
  readonly shard: Shard;
  /** Cells of the whole experiment (all shards). */
  readonly total: number;
  readonly done: readonly string[];
  /** Lines each done cell wrote to the records file (absent in folders of older versions). */
  readonly records?: Readonly<Record<string, number>>;
}

export function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ConfigError(`${file}: cannot read (${(e as Error).message})`);
  }
}

/** Records of a JSONL file (a torn last line, from an interrupted write, is dropped). */
export function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // torn line
    }
  }
  return out;
}

/** Objects as JSONL text: one JSON line each, '\n'-terminated. */
function jsonlText(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

export function writeJsonl(file: string, records: readonly object[]): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, jsonlText(records));
  renameSync(tmp, file);
}

/** The records file of a measure. */
export function recordsFile(dir: string, measure: 'decode' | 'topk-agreement'): string {
  return path.join(dir, measure === 'decode' ? RESULT_FILES.steps : RESULT_FILES.topk);
}

/**
 * Prepares `dir` for a run of `resolved` (the config text) on `shard`:
 * a fresh folder, or with `resume` the cells already done (their records
 * kept, any others dropped). A folder holding another run is an error.
 */
export function openResults(
  dir: string,
  resolved: string,
  shard: Shard,
  total: number,
  measure: 'decode' | 'topk-agreement',
  resume: boolean,
  warn: (message: string) => void = () => {},
): Set<string> {
  makeOutDir(dir);
  const doneFile = path.join(dir, RESULT_FILES.done);
  const records = recordsFile(dir, measure);
  const started = existsSync(doneFile) || existsSync(records);
  if (started && !resume) {
    throw new ConfigError(`${dir} already holds results of a run; pass --resume to continue it, or choose another --out`);
  }
  const state: DoneState = existsSync(doneFile) ? readJson<DoneState>(doneFile) : { shard, total, done: [] };
  if (resume && started) checkSameRun(dir, resolved, shard, state);
  const { kept, damaged } = readRecords(records);
  const bad = damagedCells(state, kept, damaged);
  for (const [cell, found] of bad) warn(`${records}: the records of cell ${cell} are damaged (${found}); running it again`);
  const redo = new Set(bad.map(([cell]) => cell));
  const done = new Set(state.done.filter((c) => !redo.has(c)));
  writeJsonl(
    records,
    kept.filter((r) => done.has(r.cell)),
  );
  if (measure === 'decode') keepDone(path.join(dir, RESULT_FILES.outputs), done);
  writeFileSync(path.join(dir, RESULT_FILES.resolved), resolved);
  const counts = Object.fromEntries(Object.entries(state.records ?? {}).filter(([c]) => done.has(c)));
  writeJson(doneFile, { shard, total, done: [...done], records: counts });
  return done;
}

/** Rewrites a JSONL file of cell lines with only the lines of `done` cells (unreadable lines dropped). */
function keepDone(file: string, done: ReadonlySet<string>): void {
  writeJsonl(
    file,
    readJsonl<{ cell: string }>(file).filter((r) => done.has(r.cell)),
  );
}

/** The records of a records file, and the cells named by lines that do not parse. */
function readRecords(file: string): { kept: { cell: string }[]; damaged: Set<string> } {
  const kept: { cell: string }[] = [];
  const damaged = new Set<string>();
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      kept.push(JSON.parse(line) as { cell: string });
    } catch {
      const cell = /"cell":"([^"]+)"/.exec(line)?.[1];
      if (cell !== undefined) damaged.add(cell);
    }
  }
  return { kept, damaged };
}

/** Done cells whose records are damaged, each with what was found. */
function damagedCells(state: DoneState, kept: readonly { cell: string }[], damaged: ReadonlySet<string>): [string, string][] {
  const found = new Map<string, number>();
  for (const r of kept) found.set(r.cell, (found.get(r.cell) ?? 0) + 1);
  return state.done.flatMap((cell): [string, string][] => {
    const want = state.records?.[cell];
    const have = found.get(cell) ?? 0;
    if (damaged.has(cell)) return [[cell, 'a line does not parse']];
    return want !== undefined && have < want ? [[cell, `${have} of ${want} lines readable`]] : [];
  });
}

function checkSameRun(dir: string, resolved: string, shard: Shard, state: DoneState): void {
  const file = path.join(dir, RESULT_FILES.resolved);
  if (existsSync(file) && readFileSync(file, 'utf8') !== resolved) {
    throw new ConfigError(`${dir} holds a run of a different config (${file} differs); resume with the same file, or choose another --out`);
  }
  if (state.shard.index !== shard.index || state.shard.count !== shard.count) {
    throw new ConfigError(`${dir} holds shard ${state.shard.index}/${state.shard.count}; resume it with --shard ${state.shard.index}/${state.shard.count}`);
  }
}

/** Appends a finished cell's outputs (decode) and records, then marks it done. */
export function finishCell(dir: string, measure: 'decode' | 'topk-agreement', cell: string, records: readonly object[], outputs: readonly object[] = []): void {
  if (measure === 'decode') appendFileSync(path.join(dir, RESULT_FILES.outputs), jsonlText(outputs));
  appendFileSync(recordsFile(dir, measure), jsonlText(records));
  const file = path.join(dir, RESULT_FILES.done);
  const state = readJson<DoneState>(file);
  writeJson(file, { ...state, done: [...state.done, cell], records: { ...state.records, [cell]: records.length } });
}
