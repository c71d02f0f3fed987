/**
 * Engine benchmark (`npm run bench:engine`): prints a table and writes
 * results/bench/engine.json. Numbers are medians over repeated runs in one
 * process; nothing here is a pass/fail test.
 *
 *   forward ms vs tree rows N (root + N-1 nodes, a random tree of depth <= 8)
 *   at a fixed committed prefix, incremental greedy tokens/s, KV commit time
 *   per speculative step, and the share of a step spent outside session.run
 *   (steady state, and in a process's first decodes),
 *   for the fused and the reference graph; then onnxruntime's kernel profile
 *   (ms per operator type) of the stories260K-x78M forwards at N = 1 and 16,
 *   and the cost of its weight MatMuls alone at 16 rows against 1 (engine-matmul.ts).
 *   `--quick`: fewer repetitions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../core/rng.js';
import { monotonicClock } from '../core/types.js';
import { percentile } from '../report/metrics.js';
import { generateIncremental } from '../decode/incremental.js';
import { EngineModel } from '../engine/model.js';
import { ORT_VERSION } from '../engine/ort.js';
import { loadModel } from '../model/models.js';
import { randomTree } from '../tree/random-tree.js';
import type { TreeShape } from '../core/tree-shape.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { DraftModelSpeculator } from '../speculators/draft-model.js';
import { createPolicy, policyConfig } from '../tree/policies.js';
import { createVerifier, GREEDY } from '../verifiers/index.js';
import type { GraphKind } from '../model/graph/llama-graph.js';
import { matmulFloor } from './engine-matmul.js';
import { profileForwards, type OpProfile } from './engine-profile.js';
import { ensureBenchModels } from './peer-models.js';

const TREE_ROWS = [1, 2, 4, 8, 16, 32, 64];
/** Committed tokens before every measured forward. */
const PREFIX = 256;

interface ModelBench {
  model: string;
  threads: number;
  graph: GraphKind;
  prefix: number;
  forwardMs: Record<string, number>; // tree rows -> median ms per forward
  ratio16: number; // median over repetitions of (N=16 ms / N=1 ms) measured back to back
  incrementalTokensPerSec: number;
  commitMsPerStep: number; // mean KV commit per step of a real speculative decode (ssm-m chain of 4)
  outsideRunShare: number; // (step wall time - session.run of target and draft) / step wall time, steady state (decodes 13-18)
  outsideRunShareEarly: number; // the same in decodes 2-5 of the process
}


/** A random tree with `nodes` nodes and depth <= 8. */
function benchTree(nodes: number, vocab: number, seed: number): TreeShape {
  return randomTree(createRng(seed), nodes, 8, vocab);
}

/** BOS and `prefix` fixed pseudo-random tokens. */
function benchPrompt(prefix: number, vocab: number): Int32Array {
  return Int32Array.from({ length: prefix + 1 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (vocab - 3))));
}

async function benchModel(ref: string, threads: number, graph: GraphKind, reps: number, prefix: number): Promise<ModelBench> {
  const loaded = await loadModel(ref);
  const model = await EngineModel.create(
    { id: loaded.id, weights: loaded.weights, bosId: loaded.tokenizer.bosId, eosIds: [loaded.tokenizer.eosId] },
    { threads, graph },
  );
  const vocab = model.info.vocabSize;
  const prompt = benchPrompt(prefix, vocab);
  // Every repetition measures every tree size, so drift of a shared machine hits the whole curve alike.
  const trees = TREE_ROWS.map((rows) => benchTree(rows - 1, vocab, rows));
  const times: number[][] = TREE_ROWS.map(() => []);
  for (let r = 0; r <= reps; r++) {
    for (let i = 0; i < trees.length; i++) {
      const seq = await model.open(prompt); // fresh: nothing pending, the whole tree is computed
      const t0 = monotonicClock.nowMs();
      await seq.score(trees[i]);
      if (r > 0) times[i].push(monotonicClock.nowMs() - t0); // r = 0 is the warm-up
    }
  }
  const forwardMs: Record<string, number> = Object.fromEntries(TREE_ROWS.map((rows, i) => [rows, percentile(times[i], 0.5)]));
  const one = times[TREE_ROWS.indexOf(1)];
  const ratio16 = percentile(times[TREE_ROWS.indexOf(16)].map((t, r) => t / one[r]), 0.5);
  // The draft shares stories260K's vocabulary; random models get no speculative measurement.
  const shares = vocab === 512 ? await speculativeSteps(model, loaded.tokenizer.encode('Once upon a time'), graph) : { commitMs: NaN, early: NaN, steady: NaN };
  const gen = await generateIncremental(model, Int32Array.from([1]), { maxTokens: 128, stopTokens: [] });
  await model.dispose();
  return {
    model: loaded.id,
    threads,
    graph,
    prefix,
    forwardMs,
    ratio16,
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
  commitMs: number;
  /** Share of step time outside session.run in decodes 2-5 of the process. */
  early: number;
  /** The same share after 12 decodes. */
  steady: number;
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
  const head = ['model', 'threads', 'graph', ...TREE_ROWS.map((n) => `N=${n} ms`), 'N16/N1 (paired)', 'incr tok/s', 'commit ms', 'outside run', 'early'];
  const rows = results.map((r) => [
    r.model,
    String(r.threads),
    r.graph,
    ...TREE_ROWS.map((n) => r.forwardMs[n].toFixed(3)),
    r.ratio16.toFixed(2),
    r.incrementalTokensPerSec.toFixed(0),
    r.commitMsPerStep.toFixed(4),
    `${(r.outsideRunShare * 100).toFixed(1)}%`,
    `${(r.outsideRunShareEarly * 100).toFixed(1)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/** Prints operator types by their share of the N = 16 forward, with ms per forward at each N. */
function printProfile(title: string, profile: Record<string, OpProfile>): void {
  const rows = Object.keys(profile);
  const last = profile[rows[rows.length - 1]];
  const ops = Object.keys(last).filter((k) => k !== 'total').sort((a, b) => last[b] - last[a]);
  console.log(`\n${title}: kernel ms per forward (onnxruntime profile)`);
  console.log(['op'.padEnd(22), ...rows.map((n) => `N=${n}`.padStart(9)), 'share'.padStart(7)].join(''));
  for (const op of ['total', ...ops]) {
    const cells = rows.map((n) => (profile[n][op] ?? 0).toFixed(3).padStart(9));
    console.log([op.padEnd(22), ...cells, `${((100 * (last[op] ?? 0)) / last.total).toFixed(1)}%`.padStart(7)].join(''));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  await ensureBenchModels((line) => process.stderr.write(`${line}\n`));
  const cases: [string, number, number][] = [
    ['stories260K', 1, quick ? 5 : 30],
    ['stories260K', 2, quick ? 5 : 30],
    ['random:stories110M', 2, quick ? 2 : 5],
    ['stories260K-x78M', 1, quick ? 2 : 9],
    ['stories260K-x78M', 2, quick ? 2 : 15],
  ];
  const results: ModelBench[] = [];
  for (const [ref, threads, reps] of cases) {
    for (const graph of ['fused', 'reference'] as const) {
      process.stderr.write(`benchmarking ${ref} with ${threads} thread(s), ${graph} graph...\n`);
      results.push(await benchModel(ref, threads, graph, reps, PREFIX));
    }
  }
  printTable(results);
  const profileTrees = [benchTree(0, 512, 1), benchTree(15, 512, 16)];
  const profile: Record<string, Record<string, OpProfile>> = {};
  for (const graph of ['fused', 'reference'] as const) {
    profile[graph] = await profileForwards('stories260K-x78M', { threads: 2, graph }, benchPrompt(PREFIX, 512), profileTrees, quick ? 2 : 5);
    const layouts = graph === 'fused' ? ' (1 row: rows layout, 16 rows: lanes layout)' : '';
    printProfile(`stories260K-x78M, 2 threads, ${graph} graph${layouts}, prefix ${PREFIX}`, profile[graph]);
  }
  const floor = await matmulFloor((await loadModel('stories260K-x78M')).weights.config, 2, quick ? 3 : 15);
  console.log(
    `\nstories260K-x78M weight MatMuls alone, 2 threads: M=1 ${floor.ms1.toFixed(2)} ms (${(floor.weightBytes / floor.ms1 / 1e6).toFixed(1)} GB/s), ` +
      `M=16 ${floor.ms16.toFixed(2)} ms (${(floor.flop16 / floor.ms16 / 1e6).toFixed(0)} GFLOP/s), M16/M1 ${floor.ratio.toFixed(2)} (paired); ` +
      `lanes layout M=16 ${floor.ms16Lanes.toFixed(2)} ms (${(floor.flop16 / floor.ms16Lanes / 1e6).toFixed(0)} GFLOP/s), M16/M1 ${floor.ratioLanes.toFixed(2)} (paired)`,
  );
  const out = path.resolve('results/bench/engine.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const env = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, onnxruntime: ORT_VERSION };
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), env, prefix: PREFIX, results, profile, matmulFloor: floor }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

await main();
