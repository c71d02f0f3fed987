/**
 * Quantized-weights measurement (`npm run bench:quant`, not a test): for each
 * model, the forward time of 1 and 16 tree rows (median ms over repetitions,
 * after a fixed prefix; min too) and the largest |logit difference| against float32 on
 * the same rows, with the layer matrices as f32, q8_0 and q4_0 (MatMulNBits
 * accuracy_level 0 and 4). Prints a markdown table. `--quick`: fewer repetitions.
 */
import os from 'node:os';
import { createRng } from '../core/rng.js';
import { monotonicClock } from '../core/types.js';
import type { Model } from '../core/model.js';
import { EngineModel } from '../engine/model.js';
import { ORT_VERSION } from '../engine/ort.js';
import { loadModelAs } from '../model/models.js';
import type { NBitsAccuracy } from '../model/graph/quant-nbits.js';
import type { WeightsType } from '../model/formats/quant.js';
import { percentile } from '../report/metrics.js';
import { randomTree } from '../tree/random-tree.js';
import type { TreeShape } from '../core/tree-shape.js';

const MODELS = ['stories260K', 'random:stories110M'];
const VARIANTS: readonly { weights: WeightsType; accuracy: NBitsAccuracy }[] = [
  { weights: 'f32', accuracy: 0 },
  { weights: 'q8_0', accuracy: 0 },
  { weights: 'q8_0', accuracy: 4 },
  { weights: 'q4_0', accuracy: 0 },
  { weights: 'q4_0', accuracy: 4 },
];
const ROWS = [1, 16];
const PREFIX = 64;
const THREADS = 2;

interface Row {
  model: string;
  weights: WeightsType;
  accuracy: NBitsAccuracy;
  median: number[]; // per ROWS entry, ms per forward
  min: number[];
  maxLogitDiff: number; // vs f32, over the 1 + 16 rows
}

interface Variant {
  readonly v: (typeof VARIANTS)[number];
  readonly model: EngineModel;
  readonly times: number[][]; // per ROWS entry
  rows: Float32Array[];
}

async function forwardLogits(model: Model, prompt: Int32Array, t: TreeShape): Promise<{ ms: number; rows: Float32Array[] }> {
  const seq = await model.open(prompt);
  const t0 = monotonicClock.nowMs();
  const logits = await seq.score(t);
  const ms = monotonicClock.nowMs() - t0;
  return { ms, rows: Array.from({ length: logits.rows }, (_, r) => logits.row(r).slice()) };
}

async function engineOf(ref: string, v: (typeof VARIANTS)[number]): Promise<Variant> {
  const m = await loadModelAs(ref, v.weights);
  const model = await EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] }, { threads: THREADS, quantAccuracy: v.accuracy });
  return { v, model, times: ROWS.map(() => []), rows: [] };
}

/** Every repetition runs every variant and row count, so drift of a shared machine hits all alike. */
async function benchModel(ref: string, reps: number): Promise<Row[]> {
  const variants: Variant[] = [];
  for (const v of VARIANTS) variants.push(await engineOf(ref, v));
  const vocab = variants[0].model.info.vocabSize;
  const prompt = Int32Array.from({ length: PREFIX + 1 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % (vocab - 3))));
  const trees = ROWS.map((rows) => randomTree(createRng(rows), rows - 1, 8, vocab));
  for (let r = 0; r <= reps; r++)
    for (const x of variants)
      for (let i = 0; i < trees.length; i++) {
        const out = await forwardLogits(x.model, prompt, trees[i]);
        if (r > 0) x.times[i].push(out.ms);
        else x.rows.push(...out.rows); // r = 0 is the warm-up; its logits are compared
      }
  for (const x of variants) await x.model.dispose();
  return variants.map((x) => ({
    model: ref,
    ...x.v,
    median: x.times.map((t) => percentile(t, 0.5)),
    min: x.times.map((t) => Math.min(...t)),
    maxLogitDiff: maxDiff(x.rows, variants[0].rows),
  }));
}

function maxDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let d = 0;
  a.forEach((row, r) => row.forEach((x, i) => (d = Math.max(d, Math.abs(x - b[r][i])))));
  return d;
}

async function main(): Promise<void> {
  const reps = process.argv.includes('--quick') ? 5 : 15;
  const out: Row[] = [];
  for (const ref of MODELS) out.push(...(await benchModel(ref, reps)));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(`${cpu}, ${os.cpus().length} cores, ${THREADS} threads, onnxruntime-node ${ORT_VERSION}, Node ${process.version}, prefix ${PREFIX}, median of ${reps}\n\n`);
  process.stdout.write('| model | weights | accuracy_level | ms, 1 row: median (min) | ms, 16 rows: median (min) | max logit diff vs f32 |\n|---|---|---|---|---|---|\n');
  for (const r of out) {
    const level = r.weights === 'f32' ? '-' : String(r.accuracy);
    const ms = (i: number) => `${r.median[i].toFixed(2)} (${r.min[i].toFixed(2)})`;
    process.stdout.write(`| ${r.model} | ${r.weights} | ${level} | ${ms(0)} | ${ms(1)} | ${r.maxLogitDiff.toFixed(4)} |\n`);
  }
}

await main();
