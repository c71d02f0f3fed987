/**
 * `npm run bench:tinyllama`: incremental greedy decoding of a 1.1B-parameter
 * shape (random:tinyllama, TinyLlama-1.1B's shape with random weights) at
 * Q4_0, ours against llama.cpp (node-llama-cpp, CPU) on the same GGUF file,
 * per thread count. Writes results/bench/tinyllama.json.
 *
 * The file is `specinfer export random:tinyllama --format gguf --dtype q4_0
 * --out models/tinyllama-q4_0.gguf` (made here when absent); our engine loads
 * that file as stored (Q4_0 layer matrices as MatMulNBits), llama.cpp loads it too.
 * Tokens/s of decoding alone: both sides generate from the same 8-token prompt
 * 1 and 1 + T tokens, and the rate is T / (time(1 + T) - time(1)), medians of
 * the repetitions (prompt prefill and the first token cancel out).
 *
 * Flags: `--gguf FILE`, `--tokens T` (default 32), `--reps R` (default 5),
 * `--threads 1,2`, `--no-peer` (ours only).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monotonicClock } from '../core/types.js';
import { generateIncremental } from '../decode/incremental.js';
import { EngineModel } from '../engine/model.js';
import { ORT_VERSION } from '../engine/ort.js';
import { writeGguf } from '../model/formats/gguf-writer.js';
import { loadModelAs, modelVocab } from '../model/models.js';
import { weightsType } from '../model/weights.js';
import { percentile } from '../report/metrics.js';
import { loadPeerModel, peerSystem } from './peer-llama.js';

interface Flags {
  readonly gguf: string;
  readonly tokens: number;
  readonly reps: number;
  readonly threads: readonly number[];
  readonly peer: boolean;
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

function parseFlags(args: readonly string[]): Flags {
  return {
    gguf: path.resolve(flag(args, '--gguf') ?? 'models/tinyllama-q4_0.gguf'),
    tokens: Number(flag(args, '--tokens') ?? 32),
    reps: Number(flag(args, '--reps') ?? 5),
    threads: (flag(args, '--threads') ?? '1,2').split(',').map(Number),
    peer: !args.includes('--no-peer'),
  };
}

/** 8 fixed tokens, BOS first. */
const PROMPT = Int32Array.from([1, 450, 4996, 17354, 1701, 29916, 432, 17204]);

function loadAvg(): number[] {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

/** One measured system: its tokens/s (median), per repetition, and the load average before it. */
interface Measured {
  readonly system: string;
  readonly threads: number;
  readonly tokensPerSec: number;
  readonly perRep: number[];
  readonly loadAvg: number[];
}

/** T / (time of 1 + T tokens - time of 1 token), per repetition after one warm-up; `gen(n)` generates n tokens. */
async function rate(gen: (n: number) => Promise<number>, tokens: number, reps: number): Promise<number[]> {
  const clock = monotonicClock;
  const timed = async (n: number) => {
    const t0 = clock.nowMs();
    const got = await gen(n);
    if (got !== n) throw new Error(`generated ${got} tokens, expected ${n} (a stop token?)`);
    return clock.nowMs() - t0;
  };
  await timed(1 + tokens);
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const one = await timed(1);
    const many = await timed(1 + tokens);
    out.push((tokens / (many - one)) * 1000);
  }
  return out;
}

async function ours(file: string, threads: number, f: Flags): Promise<Measured> {
  const loaded = await loadModelAs(file);
  const model = await EngineModel.create({ id: loaded.id, weights: loaded.weights, bosId: 1, eosIds: [] }, { threads });
  process.stderr.write(`ours: ${loaded.id} layer matrices ${weightsType(loaded.weights)}, ${threads} thread(s)\n`);
  const loadAvgBefore = loadAvg();
  const perRep = await rate(async (n) => (await generateIncremental(model, PROMPT, { maxTokens: n, stopTokens: [] })).tokens.length, f.tokens, f.reps);
  await model.dispose();
  return { system: 'specinfer incremental', threads, tokensPerSec: percentile(perRep, 0.5), perRep, loadAvg: loadAvgBefore };
}

async function peer(file: string, threads: number, f: Flags): Promise<Measured> {
  const model = await loadPeerModel(file);
  const sys = await peerSystem(model, null, { mode: 'incremental', threads }, 512);
  const loadAvgBefore = loadAvg();
  const perRep = await rate(async (n) => (await sys.generate(PROMPT, n, [])).length, f.tokens, f.reps);
  await sys.dispose();
  await model.dispose();
  return { system: 'llama.cpp (node-llama-cpp) incremental', threads, tokensPerSec: percentile(perRep, 0.5), perRep, loadAvg: loadAvgBefore };
}

/** Writes the Q4_0 GGUF of random:tinyllama unless it exists (what `specinfer export ... --dtype q4_0` writes). */
async function ensureGguf(file: string): Promise<void> {
  if (existsSync(file)) return;
  process.stderr.write(`writing ${file} (random:tinyllama, q4_0)...\n`);
  const m = await loadModelAs('random:tinyllama');
  mkdirSync(path.dirname(file), { recursive: true });
  writeGguf(file, m.weights, modelVocab(m), { dtype: 'Q4_0', name: m.id });
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  await ensureGguf(f.gguf);
  const results: Measured[] = [];
  for (const threads of f.threads) {
    results.push(await ours(f.gguf, threads, f));
    if (f.peer) results.push(await peer(f.gguf, threads, f));
  }
  for (const r of results)
    console.log(`${r.system} threads=${r.threads}: ${r.tokensPerSec.toFixed(2)} tok/s (${r.perRep.map((v) => v.toFixed(2)).join(', ')}; load average ${r.loadAvg.join('/')})`);
  const out = path.resolve('results/bench/tinyllama.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const env = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, onnxruntime: ORT_VERSION, args: process.argv.slice(2).join(' ') };
  writeFileSync(
    out,
    JSON.stringify({ date: new Date().toISOString(), env, model: 'random:tinyllama', gguf: path.basename(f.gguf), prompt: PROMPT.length, tokens: f.tokens, results }, null, 2) +
      '\n',
  );
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

await main();
