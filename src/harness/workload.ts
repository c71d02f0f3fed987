import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import type { Tokenizer } from '../model/formats/tokenizer.js';
import { closest } from './issues.js';

export interface WorkloadPrompt {
  readonly id: string;
  readonly prompt: string;
  /** Reference documents given with the request (LLMA): text the retrieval speculator may copy from. */
  readonly references?: readonly string[];
}

/** experiments/workloads of this package (found from this file: dist/src/harness or src/harness). */
export function workloadsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.split(path.sep).includes('dist') ? '../../..' : '../..';
  return path.resolve(here, up, 'experiments/workloads');
}

/** A workload by name (a file in experiments/workloads, without .jsonl) or by path to a JSONL file. */
export function readWorkload(ref: string): WorkloadPrompt[] {
  const byPath = ref.endsWith('.jsonl') || ref.includes('/');
  const file = byPath ? path.resolve(ref) : path.join(workloadsDir(), `${ref}.jsonl`);
  if (!existsSync(file)) throw new ConfigError(byPath ? `workload file ${file} not found` : unknownWorkload(ref));
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => parseLine(file, line, n));
}

/** A prompt's reference documents, tokenized with the target's tokenizer (no BOS); empty when it has none. */
export function referenceTokens(tok: Tokenizer, p: WorkloadPrompt): Int32Array[] {
  return (p.references ?? []).map((r) => tok.encode(r, { bos: false }));
}

/** Names of the workloads in experiments/workloads. */
function workloadNames(): string[] {
  const dir = workloadsDir();
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.jsonl'))
        .map((f) => f.slice(0, -'.jsonl'.length))
        .sort()
    : [];
}

/** `workload 'x' not found (did you mean 'y'?); known workloads: a, b (in DIR), or give a .jsonl path`. */
function unknownWorkload(ref: string): string {
  const names = workloadNames();
  const best = closest(ref, names);
  return `workload '${ref}' not found${best === undefined ? '' : ` (did you mean '${best}'?)`}; known workloads: ${names.join(', ') || 'none'} (in ${workloadsDir()}), or give a .jsonl path`;
}

function parseLine(file: string, line: string, n: number): WorkloadPrompt {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new ConfigError(`${file}:${n}: not valid JSON (${(e as Error).message})`);
  }
  const o = v as { id?: unknown; prompt?: unknown; references?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.prompt !== 'string') {
    throw new ConfigError(`${file}:${n}: each line must be an object with a string "prompt" (and optionally "id" and "references")`);
  }
  const id = typeof o.id === 'string' ? o.id : `${path.basename(file, '.jsonl')}-${n}`;
  if (o.references === undefined) return { id, prompt: o.prompt };
  if (!Array.isArray(o.references) || !o.references.every((r) => typeof r === 'string')) {
    throw new ConfigError(`${file}:${n}: references: must be an array of strings (reference documents), got ${jsonKind(o.references)}`);
  }
  return { id, prompt: o.prompt, references: o.references };
}

/** A JSON value's kind for messages: `an array with a number`, `a string`, ... */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) {
    const bad: unknown = v.find((r) => typeof r !== 'string');
    return `an array with ${bad === null ? 'null' : `a ${typeof bad}`}`;
  }
  return v === null ? 'null' : `a ${typeof v}`;
}
