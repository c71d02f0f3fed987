/**
 * `specinfer merge OUT DIR...`: the shards of one experiment (same
 * config.resolved.yaml, every shard k/N present once and finished) as one
 * results folder, cells and records in the order of the unsharded run; then
 * the report.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { CellInfo } from './cell.js';
import { makeOutDir } from './out-dir.js';
import { readJson, readJsonl, RESULT_FILES, writeJson, writeJsonl, type DoneState } from './results.js';
import { renderReport } from './run.js';

interface ShardDir {
  readonly dir: string;
  readonly resolved: string;
  readonly state: DoneState;
  readonly cells: (CellInfo & { readonly config?: { readonly measure?: { readonly kind?: string } } })[];
  readonly measure: 'decode' | 'topk-agreement';
}

function readShard(dir: string): ShardDir {
  const file = (name: string) => {
    const f = path.join(dir, name);
    if (!existsSync(f)) throw new ConfigError(`${f} not found; merge takes results folders written by \`specinfer run --shard k/N\``);
    return f;
  };
  const cells = readJson<ShardDir['cells']>(file(RESULT_FILES.cells));
  const measure = existsSync(path.join(dir, RESULT_FILES.topk)) ? 'topk-agreement' : 'decode';
  return { dir, resolved: readFileSync(file(RESULT_FILES.resolved), 'utf8'), state: readJson<DoneState>(file(RESULT_FILES.done)), cells, measure };
}

/** Checks the shards belong together and are complete. */
function checkShards(shards: readonly ShardDir[]): void {
  const first = shards[0];
  for (const s of shards.slice(1)) {
    if (s.resolved !== first.resolved) throw new ConfigError(`${s.dir} ran a different config than ${first.dir} (config.resolved.yaml differs); merge shards of one experiment only`);
  }
  const count = first.state.shard.count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const k = s.state.shard.index;
    if (s.state.shard.count !== count) throw new ConfigError(`${s.dir} is shard ${k}/${s.state.shard.count}, ${first.dir} is one of ${count}`);
    if (seen.has(k)) throw new ConfigError(`${s.dir} and ${seen.get(k)} are both shard ${k}/${count}`);
    seen.set(k, s.dir);
    const missing = s.cells.filter((c) => !s.state.done.includes(c.id));
    if (missing.length > 0) throw new ConfigError(`${s.dir} is not finished (${missing.length} of ${s.cells.length} cells to go); resume it (specinfer run ... --resume) first`);
  }
  const absent = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (absent.length > 0) throw new ConfigError(`shard${absent.length > 1 ? 's' : ''} ${absent.map((k) => `${k}/${count}`).join(', ')} missing`);
}

/** Merges shard folders into `out` and renders its report; returns the number of cells. */
export async function mergeRuns(out: string, dirs: readonly string[], opts: { readonly report?: boolean } = {}): Promise<number> {
  if (dirs.length === 0) throw new ConfigError('merge needs at least one results folder');
  const shards = dirs.map(readShard);
  checkShards(shards);
  const cells = shards.flatMap((s) => s.cells).sort((a, b) => a.index - b.index);
  const order = new Map(cells.map((c, i) => [c.id, i]));
  const measure = shards[0].measure;
  const file = measure === 'decode' ? RESULT_FILES.steps : RESULT_FILES.topk;
  const records = shards
    .flatMap((s) => readJsonl<{ cell: string }>(path.join(s.dir, file)))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (order.get(a.r.cell) ?? 0) - (order.get(b.r.cell) ?? 0) || a.i - b.i)
    .map((x) => x.r);
  makeOutDir(out, 'OUT');
  writeFileSync(path.join(out, RESULT_FILES.resolved), shards[0].resolved);
  writeJson(path.join(out, RESULT_FILES.cells), cells);
  writeJsonl(path.join(out, file), records);
  writeJson(path.join(out, RESULT_FILES.done), { shard: { index: 1, count: 1 }, total: shards[0].state.total, done: cells.map((c) => c.id) });
  const envs = shards.map((s) => readJson<Record<string, unknown>>(path.join(s.dir, RESULT_FILES.env)));
  writeJson(path.join(out, RESULT_FILES.env), envs.length === 1 ? envs[0] : { shards: envs });
  const metaFile = path.join(shards[0].dir, RESULT_FILES.meta);
  if (existsSync(metaFile)) writeJson(path.join(out, RESULT_FILES.meta), readJson(metaFile));
  if (opts.report ?? true) await renderReport(out, measure);
  return cells.length;
}
