/**
 * The machine and software a run was measured on (DIR/env.json): OS, CPU,
 * memory, Node and onnxruntime versions, and the git commit of the project.
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
}

/** This machine's environment; `ortVersion` from src/engine/ort.ts (passed in so this module does not load onnxruntime). */
export function runEnv(ortVersion: string): RunEnv {
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    onnxruntime: ortVersion,
    commit: gitCommit(),
    hostname: os.hostname(),
  };
}

/** The env as text entries (for the report's meta list). */
export function envStrings(env: RunEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
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
