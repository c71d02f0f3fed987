import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';

export interface WorkloadPrompt {
  readonly id: string;
  readonly prompt: string;
}

/** experiments/workloads of this package (found from this file: dist/src/harness or src/harness). */
export function workloadsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.split(path.sep).includes('dist') ? '../../..' : '../..';
  return path.resolve(here, up, 'experiments/workloads');
}

/** A workload by name (a file in experiments/workloads, without .jsonl) or by path to a JSONL file. */
export function readWorkload(ref: string): WorkloadPrompt[] {
  const file = ref.endsWith('.jsonl') || ref.includes('/') ? path.resolve(ref) : path.join(workloadsDir(), `${ref}.jsonl`);
  if (!existsSync(file)) throw new ConfigError(`workload '${ref}' not found (looked for ${file}); give a name from ${workloadsDir()} or a .jsonl path`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => parseLine(file, line, n));
}

function parseLine(file: string, line: string, n: number): WorkloadPrompt {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new ConfigError(`${file}:${n}: not valid JSON (${(e as Error).message})`);
  }
  const o = v as { id?: unknown; prompt?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.prompt !== 'string') {
    throw new ConfigError(`${file}:${n}: each line must be an object with a string "prompt" (and optionally "id")`);
  }
  return { id: typeof o.id === 'string' ? o.id : `${path.basename(file, '.jsonl')}-${n}`, prompt: o.prompt };
}
