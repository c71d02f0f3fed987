/**
 * Target traces (`specinfer trace`): the target's greedy continuation of
 * every prompt of an experiment, recorded once so that `specinfer replay`
 * can measure speculators and tree policies without running the target.
 * A trace is JSONL: a header line, then one line per (target, workload,
 * prompt) with the prompt's tokens and the target's greedy tokens after it:
 * maxTokens + extra of them, stop tokens included and decoding continued
 * past them (the context permitting), so that a tree reaching past the last
 * kept token, or past a stop token, is verified as the target would.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { argmax } from '../core/math.js';
import type { Model } from '../core/model.js';
import { EMPTY_TREE } from '../tree/tree.js';
import type { Experiment } from './load.js';
import { ModelCache } from './model-cache.js';
import { makeOutFileDir } from './out-dir.js';
import { readWorkload, referenceTokens } from './workload.js';

interface TraceHeader {
  readonly trace: 1;
  readonly config: string;
  /** Tokens each entry holds beyond the largest maxTokens of the experiment. */
  readonly extra: number;
}

export interface TraceEntry {
  readonly target: string;
  readonly workload: string;
  readonly prompt: string;
  readonly promptTokens: readonly number[];
  /** The prompt's reference documents, tokenized (absent when it has none). */
  readonly referenceTokens?: readonly (readonly number[])[];
  /** Greedy tokens after the prompt, stop tokens included (generation cuts at them; the trace does not). */
  readonly tokens: readonly number[];
  readonly stopTokens: readonly number[];
  readonly maxContext: number;
}

export interface Trace {
  readonly header: TraceHeader;
  get(target: string, workload: string, prompt: string): TraceEntry | undefined;
}

const key = (target: string, workload: string, prompt: string) => JSON.stringify([target, workload, prompt]);

/** What to trace: each target's workloads and how many prompts of each, and the longest generation. */
function traceJobs(exp: Experiment): { target: string; workload: string; prompts: number; engine: { threads: number } }[] {
  const jobs = new Map<string, { target: string; workload: string; prompts: number; engine: { threads: number } }>();
  for (const c of exp.cells) {
    for (const workload of c.workloads) {
      const k = key(c.config.target, workload, '');
      const n = c.config.promptsPerWorkload ?? Infinity;
      const prev = jobs.get(k);
      jobs.set(k, { target: c.config.target, workload, prompts: Math.max(prev?.prompts ?? 0, n), engine: { threads: c.config.engine.threads } });
    }
  }
  return [...jobs.values()];
}

/** Records the trace of an experiment's prompts into `file`. */
export async function recordTrace(exp: Experiment, file: string, extra = 64, onEntry?: (e: TraceEntry) => void): Promise<number> {
  const maxTokens = Math.max(...exp.cells.map((c) => c.config.maxTokens)) + extra;
  const models = new ModelCache();
  const lines: string[] = [JSON.stringify({ trace: 1, config: exp.file, extra } satisfies TraceHeader)];
  try {
    for (const job of traceJobs(exp)) {
      const loaded = await models.load(job.target);
      const target = await models.engine(loaded, job.engine);
      const tok = loaded.tokenizer;
      for (const p of readWorkload(job.workload).slice(0, job.prompts)) {
        const promptTokens = tok.encode(p.prompt, { bos: true });
        const stopTokens = [tok.bosId, tok.eosId];
        const tokens = await greedy(target, promptTokens, maxTokens);
        const refs = p.references ? { referenceTokens: referenceTokens(tok, p).map((r) => [...r]) } : {};
        const entry: TraceEntry = {
          target: job.target,
          workload: job.workload,
          prompt: p.id,
          promptTokens: [...promptTokens],
          ...refs,
          tokens,
          stopTokens,
          maxContext: target.info.maxContext,
        };
        lines.push(JSON.stringify(entry));
        onEntry?.(entry);
      }
    }
  } finally {
    await models.dispose();
  }
  makeOutFileDir(file);
  writeFileSync(file, lines.join('\n') + '\n');
  return lines.length - 1;
}

/**
 * Greedy incremental decoding through stop tokens, up to maxTokens or the
 * context's end: the last token is the one predicted at the last position
 * (the sequence then holds maxContext + 1 tokens), as a tree reaching the
 * context's end lets the decoding loop emit it.
 */
async function greedy(model: Model, prompt: Int32Array, maxTokens: number): Promise<number[]> {
  const seq = await model.open(prompt);
  const tokens: number[] = [];
  while (tokens.length < maxTokens && seq.length <= model.info.maxContext) {
    const next = argmax((await seq.score(EMPTY_TREE)).row(0));
    tokens.push(next);
    seq.commit(new Int32Array(0), next);
  }
  return tokens;
}

export function readTrace(file: string): Trace {
  if (!existsSync(file)) throw new ConfigError(`trace ${file} not found; record it with \`specinfer trace CONFIG --out ${file}\``);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const parse = (l: string, i: number): unknown => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new ConfigError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
  };
  const header = parse(lines[0] ?? '', 0) as TraceHeader;
  if (header?.trace !== 1) throw new ConfigError(`${file}: not a specinfer trace (its first line must be the trace header written by \`specinfer trace\`)`);
  const entries = new Map<string, TraceEntry>();
  lines.slice(1).forEach((l, i) => {
    const e = parse(l, i + 1) as TraceEntry;
    entries.set(key(e.target, e.workload, e.prompt), e);
  });
  return { header, get: (t, w, p) => entries.get(key(t, w, p)) };
}
