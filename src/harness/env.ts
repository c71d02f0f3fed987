/**
 * The machine and software a run was measured on (DIR/env.json): OS, CPU,
 * memory, Node and onnxruntime versions, the git commit of the project, the
 * engine's thread counts and the load average at the start and the end of
 * the run (other work on the machine skews timings).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunEnv {
  readonly os: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly onnxruntime: string;
  /** `git rev-parse HEAD` of the project (with '+dirty' when it has uncommitted changes), or 'unknown'. */
  readonly commit: string;
  readonly hostname: string;
  /** The cells' onnxruntime intra-op thread counts, distinct, ascending (0 = one per core). */
  readonly threads: readonly number[];
  /** os.loadavg() (1, 5 and 15 minute averages of runnable processes) when the run started. */
  readonly loadAvgStart: readonly number[];
  /** os.loadavg() when the run ended (absent while it runs, or when it was interrupted). */
  readonly loadAvgEnd?: readonly number[];
}

/**
 * This machine's environment at the start of a run; `ortVersion` from
 * src/engine/ort.ts (passed in so this module does not load onnxruntime),
 * `threads` the engine thread counts of the run's cells.
 */
export function runEnv(ortVersion: string, threads: readonly number[]): RunEnv {
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    onnxruntime: ortVersion,
    commit: gitCommit(),
    hostname: os.hostname(),
    threads: [...new Set(threads)].sort((a, b) => a - b),
    loadAvgStart: loadAverage(),
  };
}

/** The env at the end of the run: `env` with loadAvgEnd now. */
export function endedEnv(env: RunEnv): RunEnv {
  return { ...env, loadAvgEnd: loadAverage() };
}

/** os.loadavg() to 2 decimals. */
function loadAverage(): number[] {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

/** The env as text entries (for the report's meta list): thread counts as '1, 2', load averages as '0.52 / 0.31 / 0.2 (1 / 5 / 15 min)'. */
export function envStrings(env: RunEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, envText(k, v)]));
}

function envText(key: string, v: unknown): string {
  if (key === 'threads' && Array.isArray(v)) return v.map((t) => (t === 0 ? '0 (one per core)' : String(t))).join(', ');
  if (key.startsWith('loadAvg') && Array.isArray(v)) return `${v.join(' / ')} (1 / 5 / 15 min)`;
  return String(v);
}

function gitCommit(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}
