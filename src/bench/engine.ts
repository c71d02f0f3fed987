/**
 * Engine benchmark (`npm run bench:engine`): prints a table and writes
 * results/bench/engine.json. Numbers are medians over repeated runs in one
 * process; nothing here is a pass/fail test.
 *
 *   forward ms vs tree rows N (root + N-1 nodes, a random tree of depth <= 8)
 *   at a fixed committed prefix (each timed forward right after an untimed one
 *   of the same size, so it runs in its session's steady state), incremental greedy tokens/s, KV commit time
 *   per speculative step, and the share of a step spent outside session.run
 *   (steady state, and in a process's first decodes),
 *   for the fused and the reference graph; then onnxruntime's kernel profile
 *   (ms per operator type) of the stories260K-x78M forwards at N = 1 and 16,
 *   and the cost of its weight MatMuls alone at 16 rows against 1 (engine-matmul.ts).
 *   Every entry carries the weight type of the target's layer matrices
 *   (`weights`: f32, or q8_0 / q4_0 quantized at load; quantized weights run
 *   the fused graph, rows layout, MatMulNBits) and the load average when it started.
 *
 *   Flags (comma-separated lists): `--quick` fewer repetitions; `--models`
 *   the model references to run (default all: stories260K,
 *   random:stories110M, stories260K-x78M); `--weights` the weight types of
 *   stories260K-x78M (default f32,q8_0,q4_0; the other models run f32);
 *   `--sections curve,profile,floor` what to run (default all); `--no-steps`
 *   skips the speculative-step measurement (an existing entry's figures are kept, `stepsFrom` their date);
 *   `--profile-threads N` profiles with N threads (default 2), `--profile-rows`
 *   at these tree sizes (default 1,16), `--profile-prefix P` after P committed
 *   tokens (default 256; profiles at another prefix are keyed `...@p<P>`). Entries,
 *   profiles and the MatMul floor of this run replace those of the same
 *   key in an existing results/bench/engine.json; the rest are kept.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../core/rng.js';
import { monotonicClock } from '../core/types.js';
import { percentile } from '../report/metrics.js';
import { generateIncremental } from '../decode/incremental.js';
import { EngineModel } from '../engine/model.js';
import { ORT_VERSION } from '../engine/ort.js';
import { LANES_MIN_ROWS } from '../engine/sessions.js';
import { loadModel, loadModelAs } from '../model/models.js';
import { QUANT_TYPES, type WeightsType } from '../model/formats/quant.js';
import { randomTree } from '../tree/random-tree.js';
import { extendsTree } from '../tree/tree.js';
import type { TreeShape } from '../core/tree-shape.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { DraftModelSpeculator } from '../speculators/draft-model.js';
import { createPolicy, policyConfig } from '../tree/policies.js';
import { createVerifier, GREEDY } from '../verifiers/index.js';
import type { GraphKind } from '../model/graph/llama-graph.js';
import { matmulFloor, type MatmulFloor } from './engine-matmul.js';
import { profileForwards, type OpProfile } from './engine-profile.js';
import { ensureBenchModels } from './peer-models.js';

const TREE_ROWS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
const WEIGHT_TYPES: readonly WeightsType[] = ['f32', ...QUANT_TYPES];
const X78M = 'stories260K-x78M';
/** Committed tokens before every measured forward. */
const PREFIX = 256;

interface ModelBench {
  model: string;
  threads: number;
  graph: GraphKind;
  /** Storage of the layer matrices (f32, or quantized at load). */
  weights: WeightsType;
  /** os.loadavg() (1, 5, 15 min) when this entry started, and when it ended. */
  loadAvg: { before: number[]; after: number[] };
  date: string;
  prefix: number;
  forwardMs: Record<string, number>; // tree rows -> median ms per forward
  ratio16: number; // median over repetitions of (N=16 ms / N=1 ms) measured back to back
  /** Median CPU time of the process per forward (all its threads), ms by tree rows: with 1 thread, close to the wall time of a quiet machine even when the cores are shared. */
  forwardCpuMs: Record<string, number>;
  ratio16Cpu: number; // median of the paired N=16 / N=1 CPU-time ratios
  incrementalTokensPerSec: number;
  commitMsPerStep: number | null; // mean KV commit per step of a real speculative decode (ssm-m chain of 4); null: not measured (quantized, random models)
  outsideRunShare: number | null; // (step wall time - session.run of target and draft) / step wall time, steady state (decodes 13-18)
  outsideRunShareEarly: number | null; // the same in decodes 2-5 of the process
}

/** A random tree with `nodes` nodes and depth <= 8. */
function benchTree(nodes: number, vocab: number, seed: number): TreeShape {
  return randomTree(createRng(seed), nodes, 8, vocab);
}

/**
 * A random tree of `rows` rows (as benchTree) that neither extends `tree` nor
 * is extended by it, so `tree` scored after it is computed whole; for one row
 * (the empty tree), a one-node tree.
 */
function warmerOf(tree: TreeShape, vocab: number, rows: number): TreeShape {
  if (rows <= 1) return { tokens: Int32Array.of(3), parents: Int32Array.of(-1) };
  for (let seed = 1000 + rows; ; seed += 1000) {
    const w = benchTree(rows - 1, vocab, seed);
    if (!extendsTree(tree, w) && !extendsTree(w, tree)) return w;
  }
}

/** BOS and `prefix` fixed pseudo-random tokens. */
function benchPrompt(prefix: number, vocab: number): Int32Array {
  return Int32Array.from({ length: prefix + 1 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (vocab - 3))));
}

/** os.loadavg() to 2 decimals. */
function loadAvg(): number[] {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

async function benchModel(ref: string, threads: number, graph: GraphKind, weights: WeightsType, reps: number, prefix: number, steps: boolean): Promise<ModelBench> {
  const before = loadAvg();
  const date = new Date().toISOString();
  const loaded = await loadModelAs(ref, weights);
  const model = await EngineModel.create({ id: loaded.id, weights: loaded.weights, bosId: loaded.tokenizer.bosId, eosIds: [loaded.tokenizer.eosId] }, { threads, graph });
  const vocab = model.info.vocabSize;
  // A model whose context cannot hold the prefix and the largest tree gets a shorter prefix (recorded in the entry).
  const fitted = Math.min(prefix, model.info.maxContext - TREE_ROWS[TREE_ROWS.length - 1] - 1);
  const prompt = benchPrompt(fitted, vocab);
  // Every repetition measures every tree size, so drift of a shared machine hits the whole curve alike.
  const trees = TREE_ROWS.map((rows) => benchTree(rows - 1, vocab, rows));
  // Before each timed forward, an untimed one of the same size that it does not extend: the timed one runs in
  // the steady state of its session (a model with a lanes session switches layout between 6 and 8 rows).
  const warmers = trees.map((t, i) => warmerOf(t, vocab, TREE_ROWS[i]));
  const times: number[][] = TREE_ROWS.map(() => []);
  const cpu: number[][] = TREE_ROWS.map(() => []);
  for (let r = 0; r <= reps; r++) {
    // One prefill per repetition: a tree that does not extend the last scored one drops its rows and is computed whole.
    const seq = await model.open(prompt);
    for (let i = 0; i < trees.length; i++) {
      await seq.score(warmers[i]);
      const c0 = process.cpuUsage();
      const t0 = monotonicClock.nowMs();
      await seq.score(trees[i]);
      const wall = monotonicClock.nowMs() - t0;
      const c1 = process.cpuUsage(c0);
      if (r > 0) {
        // r = 0 is the warm-up
        times[i].push(wall);
        cpu[i].push((c1.user + c1.system) / 1000);
      }
    }
  }
  const forwardMs: Record<string, number> = Object.fromEntries(TREE_ROWS.map((rows, i) => [rows, percentile(times[i], 0.5)]));
  const one = times[TREE_ROWS.indexOf(1)];
  const ratio16 = percentile(
    times[TREE_ROWS.indexOf(16)].map((t, r) => t / one[r]),
    0.5,
  );
  const forwardCpuMs: Record<string, number> = Object.fromEntries(TREE_ROWS.map((rows, i) => [rows, percentile(cpu[i], 0.5)]));
  const oneCpu = cpu[TREE_ROWS.indexOf(1)];
  const ratio16Cpu = percentile(
    cpu[TREE_ROWS.indexOf(16)].map((t, r) => t / oneCpu[r]),
    0.5,
  );
  // The draft shares stories260K's vocabulary; random models and quantized targets get no speculative measurement.
  const shares =
    steps && vocab === 512 && weights === 'f32' ? await speculativeSteps(model, loaded.tokenizer.encode('Once upon a time'), graph) : { commitMs: null, early: null, steady: null };
  const gen = await generateIncremental(model, Int32Array.from([1]), { maxTokens: 128, stopTokens: [] });
  await model.dispose();
  return {
    model: loaded.id,
    threads,
    graph,
    weights,
    loadAvg: { before, after: loadAvg() },
    date,
    prefix: fitted,
    forwardMs,
    ratio16,
    forwardCpuMs,
    ratio16Cpu,
    incrementalTokensPerSec: (gen.tokens.length / gen.decodeMs) * 1000,
    commitMsPerStep: shares.commitMs,
    outsideRunShare: shares.steady,
    outsideRunShareEarly: shares.early,
  };
}

/**
 * Decodes of speculativeSteps: the first one is not measured; the next EARLY
 * are (a process's first decodes, while the JIT still compiles); after the
 * WARM ones that follow, the last STEADY are (the steady state of a long run).
 */
const SPECULATIVE_DECODES = { early: 4, warm: 7, steady: 6 } as const;

/** Speculative-step measurements of one engine model. */
interface StepShares {
  commitMs: number | null;
  /** Share of step time outside session.run in decodes 2-5 of the process. */
  early: number | null;
  /** The same share after 12 decodes. */
  steady: number | null;
}

/**
 * Real speculative decodes (ssm-m, chain of 4, greedy, 256 tokens) from the
 * prompt: the KV commit time per step, and the share of step time spent
 * outside session.run of the target and the draft (framework overhead: JS,
 * tree building, copies), early and in the steady state.
 */
async function speculativeSteps(model: EngineModel, prompt: Int32Array, graph: GraphKind): Promise<StepShares> {
  const loaded = await loadModel('stories260K-ssm-m');
  // Drafts run on one thread, as runs configure them (src/harness/components.ts).
  const draft = await EngineModel.create({ id: loaded.id, weights: loaded.weights, bosId: 1, eosIds: [2] }, { threads: 1, graph });
  const speculator = new DraftModelSpeculator([draft], createPolicy(policyConfig('chain', { depth: 4 })));
  const decodes = async (count: number) => {
    model.resetTimings();
    draft.resetTimings();
    const t0 = monotonicClock.nowMs();
    for (let i = 0; i < count; i++) {
      await decodeSpeculative(model, speculator, createVerifier('greedy'), [{ prompt, rng: createRng(0) }], { maxTokens: 256, stopTokens: [], sampling: GREEDY, maxNodes: 64 });
    }
    const wallMs = monotonicClock.nowMs() - t0;
    return { share: (wallMs - model.timings.runMs - draft.timings.runMs) / wallMs, commitMs: model.timings.commitMs / Math.max(1, model.timings.commits) };
  };
  await decodes(1);
  const early = await decodes(SPECULATIVE_DECODES.early);
  await decodes(SPECULATIVE_DECODES.warm);
  const steady = await decodes(SPECULATIVE_DECODES.steady);
  await speculator.dispose();
  return { commitMs: steady.commitMs, early: early.share, steady: steady.share };
}

function printTable(results: ModelBench[]): void {
  const head = [
    'model',
    'threads',
    'graph',
    'weights',
    ...TREE_ROWS.map((n) => `N=${n} ms`),
    'N16/N1 (paired)',
    'cpu N16/N1',
    'incr tok/s',
    'commit ms',
    'outside run',
    'early',
    'load avg',
  ];
  const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  const rows = results.map((r) => [
    r.model,
    String(r.threads),
    r.graph,
    r.weights,
    ...TREE_ROWS.map((n) => r.forwardMs[n].toFixed(3)),
    r.ratio16.toFixed(2),
    r.ratio16Cpu.toFixed(2),
    r.incrementalTokensPerSec.toFixed(0),
    r.commitMsPerStep === null ? 'n/a' : r.commitMsPerStep.toFixed(4),
    pct(r.outsideRunShare),
    pct(r.outsideRunShareEarly),
    r.loadAvg.before.join('/'),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log('\nprocess CPU ms per forward (median):');
  for (const r of results) console.log(`${r.model} ${r.threads}t ${r.graph} ${r.weights}: ${TREE_ROWS.map((n) => `${n}:${r.forwardCpuMs[n].toFixed(2)}`).join(' ')}`);
}

/** Prints operator types by their share of the N = 16 forward, with ms per forward at each N. */
function printProfile(title: string, profile: Record<string, OpProfile>): void {
  const rows = Object.keys(profile);
  const last = profile[rows[rows.length - 1]];
  const ops = Object.keys(last)
    .filter((k) => k !== 'total')
    .sort((a, b) => last[b] - last[a]);
  console.log(`\n${title}: kernel ms per forward (onnxruntime profile)`);
  console.log(['op'.padEnd(22), ...rows.map((n) => `N=${n}`.padStart(9)), 'share'.padStart(7)].join(''));
  for (const op of ['total', ...ops]) {
    const cells = rows.map((n) => (profile[n][op] ?? 0).toFixed(3).padStart(9));
    console.log([op.padEnd(22), ...cells, `${((100 * (last[op] ?? 0)) / last.total).toFixed(1)}%`.padStart(7)].join(''));
  }
}

/** The value of `--name a,b,c` as a list, or undefined when absent. */
function listFlag(args: readonly string[], name: string): string[] | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a comma-separated list`);
  return v.split(',').map((s) => s.trim());
}

interface BenchFlags {
  readonly quick: boolean;
  readonly models: readonly string[] | undefined;
  readonly weights: readonly WeightsType[];
  readonly sections: ReadonlySet<string>;
  /** False with `--no-steps`: no speculative-step measurement; an existing entry's step figures are kept (stepsFrom: its date). */
  readonly steps: boolean;
  /** `--profile-threads N` (default 2); profiles at other counts are keyed `<graph>[-<weights>]@<N>t`. */
  readonly profileThreads: number;
  /** `--profile-rows` (default 1,16): tree rows of the profiled forwards. */
  readonly profileRows: readonly number[];
  /** `--profile-prefix P` (default PREFIX): committed tokens before each profiled forward. */
  readonly profilePrefix: number;
}

const SECTIONS = ['curve', 'profile', 'floor'];

function parseFlags(args: readonly string[]): BenchFlags {
  const weights = listFlag(args, '--weights') ?? WEIGHT_TYPES;
  for (const w of weights) if (!(WEIGHT_TYPES as readonly string[]).includes(w)) throw new Error(`--weights: unknown weight type '${w}'; expected ${WEIGHT_TYPES.join(', ')}`);
  const sections = listFlag(args, '--sections') ?? SECTIONS;
  for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`--sections: unknown section '${s}'; expected ${SECTIONS.join(', ')}`);
  return {
    quick: args.includes('--quick'),
    models: listFlag(args, '--models'),
    weights: weights as WeightsType[],
    sections: new Set(sections),
    steps: !args.includes('--no-steps'),
    profileThreads: Number(listFlag(args, '--profile-threads')?.[0] ?? 2),
    profileRows: (listFlag(args, '--profile-rows') ?? ['1', '16']).map(Number),
    profilePrefix: Number(listFlag(args, '--profile-prefix')?.[0] ?? PREFIX),
  };
}

/** One benchmark case: model, threads, repetitions, weight types, graphs. */
type BenchCase = readonly [string, number, number, readonly WeightsType[], readonly GraphKind[]];

function benchCases(f: BenchFlags): BenchCase[] {
  const both: GraphKind[] = ['fused', 'reference'];
  const f32: WeightsType[] = ['f32'];
  const cases: BenchCase[] = [
    ['stories260K', 1, f.quick ? 5 : 30, f32, both],
    ['stories260K', 2, f.quick ? 5 : 30, f32, both],
    ['random:stories110M', 2, f.quick ? 2 : 5, f32, both],
    [X78M, 1, f.quick ? 5 : 9, f.weights, both],
    [X78M, 2, f.quick ? 5 : 9, f.weights, both],
  ];
  if (f.models === undefined) return cases;
  // Any other model asked for: its fused-graph curve at each weight type, 1 and 2 threads.
  const others = f.models.filter((m) => !cases.some((c) => c[0] === m));
  const extra = others.flatMap((m): BenchCase[] => [1, 2].map((threads): BenchCase => [m, threads, f.quick ? 5 : 9, f.weights, ['fused']]));
  return [...cases.filter((c) => f.models?.includes(c[0])), ...extra];
}

/** The key an entry is replaced by in an existing results file. */
function entryKey(r: { model?: unknown; threads?: unknown; graph?: unknown; weights?: unknown }): string {
  return [r.model, r.threads, r.graph ?? 'fused', r.weights ?? 'f32'].map((v) => JSON.stringify(v)).join('|');
}

type OldEntry = { model?: unknown; threads?: unknown; graph?: unknown; weights?: unknown; date?: unknown } & Partial<
  Pick<ModelBench, 'commitMsPerStep' | 'outsideRunShare' | 'outsideRunShareEarly'>
>;

/** `r`, or when its step figures were not measured, `r` with those of the old entry of its key and their date. */
function withOldSteps(r: ModelBench, old: readonly OldEntry[], oldDate: unknown): ModelBench | (ModelBench & { stepsFrom: string }) {
  const o = old.find((e) => entryKey(e) === entryKey(r));
  if (r.commitMsPerStep !== null || o === undefined || typeof o.commitMsPerStep !== 'number') return r;
  const stepsFrom = String(o.date ?? oldDate);
  return { ...r, commitMsPerStep: o.commitMsPerStep, outsideRunShare: o.outsideRunShare ?? null, outsideRunShareEarly: o.outsideRunShareEarly ?? null, stepsFrom };
}

interface EngineBenchFile {
  date?: string;
  results?: OldEntry[];
  profile?: Record<string, unknown>;
  matmulFloor?: unknown;
}

async function runCurves(f: BenchFlags): Promise<ModelBench[]> {
  const results: ModelBench[] = [];
  for (const [ref, threads, reps, weightTypes, graphs] of benchCases(f)) {
    for (const weights of weightTypes) {
      // Quantized matrices run in the fused graph only (MatMulNBits).
      for (const graph of weights === 'f32' ? graphs : (['fused'] as const)) {
        process.stderr.write(`benchmarking ${ref} (${weights}) with ${threads} thread(s), ${graph} graph, load average ${loadAvg().join('/')}...\n`);
        results.push(await benchModel(ref, threads, graph, weights, reps, PREFIX, f.steps));
      }
    }
  }
  if (results.length > 0) printTable(results);
  return results;
}

/**
 * Kernel profiles of x78M at 1 and 16 rows (median run of 9), 2 threads and a
 * 256-token prefix unless --profile-rows / --profile-threads / --profile-prefix: fused and reference graph in f32, and the fused graph at every
 * quantized type asked for (key `fused-<type>`, then `@<N>t` and `@p<P>` for other thread counts and prefixes).
 */
async function runProfiles(f: BenchFlags): Promise<Record<string, Record<string, OpProfile>>> {
  const profileTrees = f.profileRows.map((rows) => benchTree(rows - 1, 512, rows));
  const prefix = f.profilePrefix;
  const runs: [string, GraphKind, WeightsType][] = f.weights.flatMap((w): [string, GraphKind, WeightsType][] =>
    w === 'f32'
      ? [
          ['fused', 'fused', w],
          ['reference', 'reference', w],
        ]
      : [[`fused-${w}`, 'fused', w]],
  );
  const profile: Record<string, Record<string, OpProfile>> = {};
  const threads = f.profileThreads;
  for (const [name, graph, weights] of runs) {
    const key = `${name}${threads === 2 ? '' : `@${threads}t`}${prefix === PREFIX ? '' : `@p${prefix}`}`;
    profile[key] = await profileForwards(X78M, { threads, graph, weights }, benchPrompt(prefix, 512), profileTrees, f.quick ? 2 : 9);
    const layouts = graph === 'fused' && weights === 'f32' ? ` (rows layout below ${LANES_MIN_ROWS} rows, lanes layout from ${LANES_MIN_ROWS})` : '';
    printProfile(`${X78M}, ${threads} thread(s), ${graph} graph, ${weights}${layouts}, prefix ${prefix}`, profile[key]);
  }
  return profile;
}

async function runFloor(f: BenchFlags): Promise<MatmulFloor> {
  const floor = await matmulFloor((await loadModel(X78M)).weights.config, 2, f.quick ? 3 : 15);
  console.log(
    `\n${X78M} weight MatMuls alone, 2 threads: M=1 ${floor.ms1.toFixed(2)} ms (${(floor.weightBytes / floor.ms1 / 1e6).toFixed(1)} GB/s), ` +
      `M=16 ${floor.ms16.toFixed(2)} ms (${(floor.flop16 / floor.ms16 / 1e6).toFixed(0)} GFLOP/s), M16/M1 ${floor.ratio.toFixed(2)} (paired); ` +
      `lanes layout M=16 ${floor.ms16Lanes.toFixed(2)} ms (${(floor.flop16 / floor.ms16Lanes / 1e6).toFixed(0)} GFLOP/s), M16/M1 ${floor.ratioLanes.toFixed(2)} (paired)`,
  );
  return floor;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  await ensureBenchModels((line) => process.stderr.write(`${line}\n`));
  const loadBefore = loadAvg();
  const results = flags.sections.has('curve') ? await runCurves(flags) : [];
  const profile = flags.sections.has('profile') ? await runProfiles(flags) : {};
  const floor = flags.sections.has('floor') ? await runFloor(flags) : undefined;
  const out = path.resolve('results/bench/engine.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const old: EngineBenchFile = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as EngineBenchFile) : {};
  const fresh = new Set(results.map(entryKey));
  const kept = (old.results ?? []).filter((r) => !fresh.has(entryKey(r)));
  const merged = [...kept, ...results.map((r) => withOldSteps(r, old.results ?? [], old.date))];
  const env = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    onnxruntime: ORT_VERSION,
    loadAvg: { before: loadBefore, after: loadAvg() },
    args: process.argv.slice(2).join(' '),
  };
  const file = { date: new Date().toISOString(), env, prefix: PREFIX, results: merged, profile: { ...old.profile, ...profile }, matmulFloor: floor ?? old.matmulFloor };
  writeFileSync(out, JSON.stringify(file, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)} (load average before ${loadBefore.join('/')}, after ${env.loadAvg.after.join('/')})`);
}

await main();
