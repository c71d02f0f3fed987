/**
 * Native llama.cpp for `npm run bench:peer`: its own programs (llama-bench,
 * llama-speculative-simple, llama-quantize) as built by `npm run peer:build`,
 * found in $SPECINFER_PEER_DIR or ${XDG_CACHE_HOME:-~/.cache}/specinfer/llama.cpp
 * (each folder tried as it is, then its build/bin).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseLlamaBenchJson, parseSpecTypes, parseSpeculativeLog, type LlamaBenchRow, type SpeculativeStats } from './peer-native-parse.js';

export interface NativeTools {
  /** The folder holding the binaries (and their shared libraries). */
  readonly bin: string;
  /** Speculative types llama-speculative-simple accepts (from its --help). */
  readonly specTypes: readonly string[];
}

const PROGRAMS = ['llama-bench', 'llama-speculative-simple', 'llama-quantize'] as const;

function candidateDirs(): string[] {
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'specinfer', 'llama.cpp');
  const roots = [process.env.SPECINFER_PEER_DIR, cache].filter((d): d is string => d !== undefined && d !== '');
  return roots.flatMap((r) => [r, path.join(r, 'build', 'bin')]);
}

function run(bin: string, program: string, args: readonly string[]): { stdout: string; stderr: string } {
  const r = spawnSync(path.join(bin, program), args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, LD_LIBRARY_PATH: [bin, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  });
  if (r.error) throw new Error(`${program}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} exited with ${r.status}:\n${r.stderr.slice(-2000)}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** The native programs, or an error saying how to build them. */
export function findNativeTools(): NativeTools {
  const dirs = candidateDirs();
  const bin = dirs.find((d) => PROGRAMS.every((p) => existsSync(path.join(d, p))));
  if (!bin) throw new Error(`native llama.cpp not found (looked for ${PROGRAMS.join(', ')} in ${dirs.join(', ')}): run \`npm run peer:build\` (or set SPECINFER_PEER_DIR)`);
  const help = spawnSync(path.join(bin, 'llama-speculative-simple'), ['--help'], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: bin } });
  return { bin, specTypes: parseSpecTypes(`${help.stdout}\n${help.stderr}`) };
}

/** llama-bench's incremental decoding: `nGen` tokens from an empty context, `reps` repetitions per thread count. */
export function llamaBench(tools: NativeTools, model: string, nGen: number, threads: readonly number[], reps: number): LlamaBenchRow[] {
  const args = ['-m', model, '-p', '0', '-n', String(nGen), '-t', threads.join(','), '-r', String(reps), '-o', 'json'];
  return parseLlamaBenchJson(run(tools.bin, 'llama-bench', args).stdout);
}

export interface SpeculativeRun {
  /** --spec-type: draft-simple (with a draft model), ngram-simple, ngram-mod, ... */
  readonly type: string;
  readonly threads: number;
  /** --spec-draft-n-max (draft types) or --spec-ngram-mod-n-max (ngram-mod). */
  readonly nMax?: number;
  readonly draft?: string;
}

export function speculativeName(s: SpeculativeRun): string {
  return `native ${s.type}${s.nMax === undefined ? '' : ` n-max=${s.nMax}`} threads=${s.threads}`;
}

/**
 * One greedy generation by llama-speculative-simple: its stdout (prompt then
 * text) and its decoding stats. Its log is written by a background thread and
 * now and then ends before the stats lines (seen under heavy load, exit
 * status 0): such a run is repeated, up to 3 times in all.
 */
export function speculativeSimple(tools: NativeTools, model: string, prompt: string, nPredict: number, s: SpeculativeRun): { stdout: string; stats: SpeculativeStats } {
  const args = ['-m', model, '-p', prompt, '-n', String(nPredict), '-c', '512', '-t', String(s.threads), '--temp', '0', '--top-k', '1', '--seed', '0', '--spec-type', s.type];
  if (s.draft) args.push('-md', s.draft, '-td', String(s.threads));
  if (s.nMax !== undefined) args.push(s.type === 'ngram-mod' ? '--spec-ngram-mod-n-max' : '--spec-draft-n-max', String(s.nMax));
  for (let attempt = 1; ; attempt++) {
    const out = run(tools.bin, 'llama-speculative-simple', args);
    try {
      return { stdout: out.stdout, stats: parseSpeculativeLog(out.stderr) };
    } catch (e) {
      if (attempt < 3) continue;
      throw new Error(`${(e as Error).message} (3 attempts); its command: ${args.join(' ')}; its log ends:\n${out.stderr.slice(-1500)}`, { cause: e });
    }
  }
}

/** llama-quantize `input` to `type` (e.g. Q4_K_M) into `output`. */
export function llamaQuantize(tools: NativeTools, input: string, output: string, type: string): void {
  run(tools.bin, 'llama-quantize', [input, output, type]);
}
