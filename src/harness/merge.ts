/**
 * `specinfer merge OUT DIR...`: the shards of one experiment (same
 * config.resolved.yaml, every shard k/N present once and finished) as one
 * results folder, cells and records in the order of the unsharded run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { CellInfo } from './cell.js';
import { describeHolder, lockHolder } from './lock.js';
import { makeOutDir } from './out-dir.js';
import { readJson, readJsonl, RESULT_FILES, writeJson, writeJsonl, type DoneState } from './results.js';

interface ShardDir {
  readonly dir: string;
  readonly resolved: string;
  readonly state: DoneState;
  readonly cells: (CellInfo & { readonly config?: { readonly measure?: { readonly kind?: string } } })[];
  readonly measure: 'decode' | 'topk-agreement';
}

function readShard(dir: string): ShardDir {
  const file = (name: string) => path.join(dir, name);
  const cells = readJson<ShardDir['cells']>(file(RESULT_FILES.cells));
  const measure = existsSync(file(RESULT_FILES.topk)) ? 'topk-agreement' : 'decode';
  return { dir, resolved: readFileSync(file(RESULT_FILES.resolved), 'utf8'), state: readJson<DoneState>(file(RESULT_FILES.done)), cells, measure };
}

interface ShardStatus {
  readonly dir: string;
  /** Undefined when the folder holds no run. */
  readonly state?: DoneState;
  /** Why it cannot be merged yet (not started, or started and not finished). */
  readonly problem?: string;
}

function shardStatus(dir: string): ShardStatus {
  if (!existsSync(dir)) return { dir, problem: `${dir} not found (its shard has not started)` };
  const doneFile = path.join(dir, RESULT_FILES.done);
  if (!existsSync(doneFile)) return { dir, problem: `${dir} holds no run (no ${RESULT_FILES.done}); merge takes results folders written by \`specinfer run --shard k/N\`` };
  const state = readJson<DoneState>(doneFile);
  const { index, count } = state.shard;
  const cells = Array.from({ length: state.total }, (_, i) => i).filter((i) => i % count === index - 1).length;
  const toGo = Math.max(cells - new Set(state.done).size, 0);
  const files = [RESULT_FILES.cells, RESULT_FILES.resolved, RESULT_FILES.env].filter((f) => !existsSync(path.join(dir, f)));
  if (toGo === 0 && files.length === 0) return { dir, state };
  const holder = lockHolder(dir);
  const next = holder === undefined ? 'resume it (specinfer run ... --resume)' : `running: ${describeHolder(holder)}`;
  return { dir, state, problem: `${dir} (shard ${index}/${count}) is not finished (${toGo} of ${cells} cells to go; ${next})` };
}

/** Checks the shards belong together and are complete (one error naming every shard missing or unfinished); reads them. */
function checkShards(dirs: readonly string[]): ShardDir[] {
  const status = dirs.map(shardStatus);
  const problems = status.flatMap((s) => (s.problem === undefined ? [] : [s.problem]));
  const started = status.filter((s): s is ShardStatus & { state: DoneState } => s.state !== undefined);
  const count = started[0]?.state.shard.count ?? dirs.length;
  const seen = new Map<number, string>();
  for (const { dir, state } of started) {
    const k = state.shard.index;
    if (state.shard.count !== count) throw new ConfigError(`${dir} is shard ${k}/${state.shard.count}, ${started[0].dir} is one of ${count}`);
    if (seen.has(k)) throw new ConfigError(`${dir} and ${seen.get(k)} are both shard ${k}/${count}`);
    seen.set(k, dir);
  }
  const absent = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (absent.length > 0) problems.push(`shard${absent.length > 1 ? 's' : ''} ${absent.map((k) => `${k}/${count}`).join(', ')} missing`);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  const shards = started.map((s) => readShard(s.dir));
  for (const s of shards.slice(1)) {
    if (s.resolved !== shards[0].resolved)
      throw new ConfigError(`${s.dir} ran a different config than ${shards[0].dir} (config.resolved.yaml differs); merge shards of one experiment only`);
  }
  return shards;
}

/** Merges shard folders into `out` (its report is rendered by src/report: renderReport); returns the number of cells and the measure. */
export async function mergeRuns(out: string, dirs: readonly string[]): Promise<{ readonly cells: number; readonly measure: ShardDir['measure'] }> {
  if (dirs.length === 0) throw new ConfigError('merge needs at least one results folder');
  const shards = checkShards(dirs);
  const cells = shards.flatMap((s) => s.cells).sort((a, b) => a.index - b.index);
  const order = new Map(cells.map((c, i) => [c.id, i]));
  const measure = shards[0].measure;
  const file = measure === 'decode' ? RESULT_FILES.steps : RESULT_FILES.topk;
  makeOutDir(out, 'OUT');
  mergeJsonl(shards, file, order, out);
  if (shards.some((s) => existsSync(path.join(s.dir, RESULT_FILES.outputs)))) mergeJsonl(shards, RESULT_FILES.outputs, order, out);
  writeFileSync(path.join(out, RESULT_FILES.resolved), shards[0].resolved);
  writeJson(path.join(out, RESULT_FILES.cells), cells);
  writeJson(path.join(out, RESULT_FILES.done), { shard: { index: 1, count: 1 }, total: shards[0].state.total, done: cells.map((c) => c.id) });
  const envs = shards.map((s) => readJson<Record<string, unknown>>(path.join(s.dir, RESULT_FILES.env)));
  writeJson(path.join(out, RESULT_FILES.env), envs.length === 1 ? envs[0] : { shards: envs });
  const metaFile = path.join(shards[0].dir, RESULT_FILES.meta);
  if (existsSync(metaFile)) writeJson(path.join(out, RESULT_FILES.meta), readJson(metaFile));
  return { cells: cells.length, measure };
}

/** OUT/file: the shards' lines of `file`, in cell order (`order`), each cell's lines in file order. */
function mergeJsonl(shards: readonly ShardDir[], file: string, order: ReadonlyMap<string, number>, out: string): void {
  const lines = shards
    .flatMap((s) => readJsonl<{ cell: string }>(path.join(s.dir, file)))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (order.get(a.r.cell) ?? 0) - (order.get(b.r.cell) ?? 0) || a.i - b.i)
    .map((x) => x.r);
  writeJsonl(path.join(out, file), lines);
}
