/**
 * Engine benchmark (`npm run bench:engine`): prints a table and writes
 * results/bench/engine.json. Numbers are medians over repeated runs in one
 * process; nothing here is a pass/fail test.
 *
 *   forward ms vs tree rows N (root + N-1 nodes, a random tree of depth <= 8)
 *   at a fixed committed prefix, incremental greedy tokens/s, KV commit time
 *   per speculative step, and the share of a step spent outside session.run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../core/rng.js';
import { monotonicClock } from '../core/types.js';
import { generateIncremental } from '../decode/incremental.js';
import { EngineModel } from '../engine/model.js';
import { ORT_VERSION } from '../engine/ort.js';
import { loadModel } from '../model/models.js';
import { randomTree } from '../tree/random-tree.js';
import type { TreeShape } from '../tree/tree.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { DraftModelSpeculator } from '../speculators/draft-model.js';
import { createPolicy, policyConfig } from '../tree/policies.js';
import { createVerifier, GREEDY } from '../verifiers/index.js';
import { ensureBenchModels } from './peer-models.js';

const TREE_ROWS = [1, 2, 4, 8, 16, 32, 64];
/** Committed tokens before every measured forward. */
const PREFIX = 256;

interface ModelBench {
  model: string;
  threads: number;
  prefix: number;
  forwardMs: Record<string, number>; // tree rows -> median ms per forward
  incrementalTokensPerSec: number;
  commitMsPerStep: number; // mean KV commit per step of a real speculative decode (ssm-m chain of 4)
  outsideRunShare: number; // (step wall time - session.run of target and draft) / step wall time, same decode
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A random tree with `nodes` nodes and depth <= 8. */
function benchTree(nodes: number, vocab: number, seed: number): TreeShape {
  return randomTree(createRng(seed), nodes, 8, vocab);
}

async function benchModel(ref: string, threads: number, reps: number, prefix: number): Promise<ModelBench> {
  const loaded = await loadModel(ref);
  const model = await EngineModel.create(
    { id: loaded.id, weights: loaded.weights, bosId: loaded.tokenizer.bosId, eosIds: [loaded.tokenizer.eosId] },
    { threads },
  );
  const vocab = model.info.vocabSize;
  const prompt = Int32Array.from({ length: prefix + 1 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (vocab - 3))));
  const forwardMs: Record<string, number> = {};
  for (const rows of TREE_ROWS) {
    const tree = benchTree(rows - 1, vocab, rows);
    const times: number[] = [];
    for (let r = 0; r <= reps; r++) {
      const seq = await model.open(prompt); // fresh: nothing pending, the whole tree is computed
      const t0 = monotonicClock.nowMs();
      await seq.score(tree);
      if (r > 0) times.push(monotonicClock.nowMs() - t0); // r = 0 is the warm-up
    }
    forwardMs[rows] = median(times);
  }
  // The draft shares stories260K's vocabulary; random models get no speculative measurement.
  const { commitMs, outside } =
    vocab === 512 ? await speculativeSteps(model, loaded.tokenizer.encode('Once upon a time'), threads) : { commitMs: NaN, outside: NaN };
  const gen = await generateIncremental(model, Int32Array.from([1]), { maxTokens: 128, stopTokens: [] });
  await model.dispose();
  return {
    model: loaded.id,
    threads,
    prefix,
    forwardMs,
    incrementalTokensPerSec: (gen.tokens.length / gen.decodeMs) * 1000,
    commitMsPerStep: commitMs,
    outsideRunShare: outside,
  };
}

/**
 * A real speculative decode (ssm-m, chain of 4, greedy) from the prompt: the KV
 * commit time per step, and the share of step time spent outside session.run
 * of the target and the draft (framework overhead: JS, tree building, copies).
 */
async function speculativeSteps(model: EngineModel, prompt: Int32Array, threads: number): Promise<{ commitMs: number; outside: number }> {
  const loaded = await loadModel('stories260K-ssm-m');
  const draft = await EngineModel.create({ id: loaded.id, weights: loaded.weights, bosId: 1, eosIds: [2] }, { threads });
  const speculator = new DraftModelSpeculator([draft], createPolicy(policyConfig('chain', { depth: 4 })));
  await decodeSpeculative(model, speculator, createVerifier('greedy'), [{ prompt, rng: createRng(0) }], { maxTokens: 16, stopTokens: [], sampling: GREEDY, maxNodes: 64 });
  model.resetTimings();
  draft.resetTimings();
  const t0 = monotonicClock.nowMs();
  const { records } = await decodeSpeculative(model, speculator, createVerifier('greedy'), [{ prompt, rng: createRng(0) }], {
    maxTokens: 64,
    stopTokens: [],
    sampling: GREEDY,
    maxNodes: 64,
  });
  const wallMs = monotonicClock.nowMs() - t0;
  const commitMs = model.timings.commitMs / Math.max(1, model.timings.commits);
  const runMs = model.timings.runMs + draft.timings.runMs;
  await speculator.dispose();
  return { commitMs, outside: records.length > 0 ? (wallMs - runMs) / wallMs : NaN };
}

function printTable(results: ModelBench[]): void {
  const head = ['model', 'threads', ...TREE_ROWS.map((n) => `N=${n} ms`), 'N16/N1', 'incr tok/s', 'commit ms', 'outside run'];
  const rows = results.map((r) => [
    r.model,
    String(r.threads),
    ...TREE_ROWS.map((n) => r.forwardMs[n].toFixed(3)),
    (r.forwardMs[16] / r.forwardMs[1]).toFixed(2),
    r.incrementalTokensPerSec.toFixed(0),
    r.commitMsPerStep.toFixed(4),
    `${(r.outsideRunShare * 100).toFixed(1)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  await ensureBenchModels((line) => process.stderr.write(`${line}\n`));
  const cases: [string, number, number][] = [
    ['stories260K', 1, quick ? 5 : 30],
    ['stories260K', 2, quick ? 5 : 30],
    ['random:stories110M', 1, quick ? 2 : 5],
    ['random:stories110M', 2, quick ? 2 : 5],
    ['stories260K-x78M', 1, quick ? 2 : 7],
    ['stories260K-x78M', 2, quick ? 2 : 7],
  ];
  const results: ModelBench[] = [];
  for (const [ref, threads, reps] of cases) {
    process.stderr.write(`benchmarking ${ref} with ${threads} thread(s)...\n`);
    results.push(await benchModel(ref, threads, reps, PREFIX));
  }
  printTable(results);
  const out = path.resolve('results/bench/engine.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const env = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, onnxruntime: ORT_VERSION };
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), env, prefix: PREFIX, results }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

await main();
