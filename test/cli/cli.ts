/** Running the built CLI (dist/src/cli/main.js) in a child process, for the CLI tests. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { MODELS_DIR } from '../support/models-dir.js';

const CLI = 'dist/src/cli/main.js';

export interface CliResult {
  /** Exit status (-1 when killed). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed after `timeoutMs` (still running then). */
  readonly killed: boolean;
}

const env = () => ({ ...process.env, SPECINFER_MODELS: MODELS_DIR });

/** Runs `specinfer ARGS` to its end, or kills it after `timeoutMs` (default: never). */
export function specinfer(args: readonly string[], timeoutMs = 0): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { env: env(), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number; killed?: boolean }) | null;
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : -1, stdout, stderr, killed: e?.killed === true });
    });
  });
}

/** Starts `specinfer ARGS` without waiting (stdout and stderr piped). */
export function startSpecinfer(args: readonly string[]): ChildProcess {
  return spawn('node', [CLI, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The lines of a one-error stderr: exactly one `specinfer: ...` line. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || !lines[0].startsWith('specinfer: ')) throw new Error(`expected one 'specinfer: ...' line on stderr, got:\n${stderr}`);
  return lines[0];
}
