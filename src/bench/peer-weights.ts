/**
 * The native part of `npm run bench:peer`: for one target and each GGUF weight
 * type, our engine on the GGUF file against llama.cpp's own programs on the
 * same file. Incremental decoding (ours at 1 and 2 threads, llama-bench at 1
 * and 2), draft-model speculation (our SSM trees, llama-speculative-simple
 * draft-simple with the SSM's GGUF, a sweep of n-max) and model-free
 * speculation (our suffix tree, its ngram types that exist).
 * Systems alternate each repetition (the order reverses). Greedy; every
 * output is compared with our incremental tokens: at F32 a difference fails
 * the benchmark, at quantized types the tokens in agreement are reported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeGguf } from '../model/formats/gguf-writer.js';
import { loadModel, modelVocab } from '../model/models.js';
import type { GgufDtype } from '../model/formats/gguf-writer.js';
import { speculatorConfig } from '../speculators/registry.js';
import { curvePolicy } from '../harness/cost-curve.js';
import { ENGINE_BENCH_FILE, findForwardLatency } from '../harness/latency.js';
import type { WeightsType } from '../model/formats/quant.js';
import { policyConfig } from '../tree/policies.js';
import { llamaBench, llamaQuantize, speculativeName, speculativeSimple, type NativeTools, type SpeculativeRun } from './peer-native.js';
import { tokensInAgreement } from './peer-native-parse.js';
import { oursSystem, runSpec, type OursSystem, type StepCount } from './peer-ours.js';
import { median, type PeerBenchMode, type SystemResult } from './peer-summary.js';

export type WeightType = 'F32' | 'Q8_0' | 'Q4_0' | 'Q4_K_M';

/** The engine benchmark's weight type of each (its cost curves are of x78M quantized at load; Q4_K_M has none: the Q4_0 one is nearest). */
const CURVE_WEIGHTS: Readonly<Record<WeightType, WeightsType>> = { F32: 'f32', Q8_0: 'q8_0', Q4_0: 'q4_0', Q4_K_M: 'q4_0' };

export interface PeerPrompt {
  readonly text: string;
  readonly tokens: Int32Array;
}

export interface WeightsArgs {
  readonly reps: number;
  readonly tokens: number;
  /** Draft lengths swept for native draft-simple. */
  readonly draftNMax: readonly number[];
  /** Thread counts of native speculation. */
  readonly specThreads: readonly number[];
}

export interface WeightsSection {
  readonly weights: WeightType;
  readonly file: string;
  /** Why this type was not measured (e.g. our engine refuses the file). */
  readonly skipped?: string;
  readonly results: SystemResult[];
}

/** The GGUF file of `target` at `weights`, written (our export, or llama-quantize for K-quants) when absent. */
export async function weightsFile(dir: string, target: string, f32File: string, weights: WeightType, tools: NativeTools): Promise<string> {
  if (weights === 'F32') return f32File;
  const file = path.join(dir, `${target}-${weights.toLowerCase()}.gguf`);
  if (existsSync(file)) return file;
  if (weights === 'Q4_K_M') llamaQuantize(tools, f32File, file, 'Q4_K_M');
  else {
    const m = await loadModel(target);
    writeGguf(file, m.weights, modelVocab(m), { dtype: weights as GgufDtype, name: target });
  }
  return file;
}

interface OursEntry {
  readonly name: string;
  readonly mode: PeerBenchMode;
  readonly sys: OursSystem;
  readonly steps: StepCount;
}

/**
 * Our settings on a GGUF target: incremental, an SSM chain of 4 and the suffix
 * tree at each thread count of `specThreads` (as native speculation), plus at
 * 2 threads the SSM static tree <1,1,3,1,1,1,1,1> and the dynamic and Sequoia
 * trees following `curve`, the target's forward cost curve at 2 threads
 * (curvePolicy: dynamic's node budget, Sequoia's latency input; defaults
 * without one). Drafts are the F32 SSM on 1 thread.
 */
async function oursSystems(file: string, specThreads: readonly number[], curve: Readonly<Record<string, number>> | undefined): Promise<OursEntry[]> {
  const ssm = speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] });
  const suffix = speculatorConfig('suffix', { maxCachedRequests: 0 });
  const threads = [...new Set([1, 2, ...specThreads])].sort((a, b) => a - b);
  const list: { name: string; mode: PeerBenchMode; spec: ReturnType<typeof runSpec> }[] = [
    ...threads.map((t) => ({ name: `specinfer incremental threads=${t}`, mode: 'incremental' as const, spec: runSpec(file, t, { kind: 'none' }) })),
    ...specThreads.map((t) => ({ name: `specinfer ssm-m chain 4 threads=${t}`, mode: 'draft' as const, spec: runSpec(file, t, ssm, policyConfig('chain', { depth: 4 })) })),
    { name: 'specinfer ssm-m static <1,1,3,1,1,1,1,1> threads=2', mode: 'draft', spec: runSpec(file, 2, ssm, policyConfig('static')) },
    ...(['dynamic', 'sequoia'] as const).map((kind) => {
      const policy = curve === undefined ? policyConfig(kind) : curvePolicy(policyConfig(kind), curve, 64);
      const budget = policy.kind === 'dynamic' ? ` ${policy.maxNodes ?? 64} nodes` : '';
      return { name: `specinfer ssm-m ${kind}${budget}${curve ? ' (cost curve)' : ''} threads=2`, mode: 'draft' as const, spec: runSpec(file, 2, ssm, policy) };
    }),
    ...specThreads.map((t) => ({ name: `specinfer suffix threads=${t}`, mode: 'model-free' as const, spec: runSpec(file, t, suffix) })),
  ];
  const out: OursEntry[] = [];
  for (const o of list) {
    const steps = { forwards: 0, tokens: 0 };
    out.push({ name: o.name, mode: o.mode, sys: await oursSystem(o.name, o.spec, steps), steps });
  }
  return out;
}

/** Native speculative settings: draft-simple over the n-max sweep, and the model-free types this build has. */
function nativeSpecRuns(tools: NativeTools, draftFile: string, args: WeightsArgs): { run: SpeculativeRun; mode: PeerBenchMode }[] {
  const list: { run: SpeculativeRun; mode: PeerBenchMode }[] = [];
  for (const threads of args.specThreads) {
    if (tools.specTypes.includes('draft-simple')) {
      for (const n of args.draftNMax) list.push({ run: { type: 'draft-simple', threads, nMax: n, draft: draftFile }, mode: 'draft' });
    }
    for (const type of ['ngram-simple', 'ngram-mod']) {
      if (tools.specTypes.includes(type)) list.push({ run: { type, threads }, mode: 'model-free' });
    }
  }
  return list;
}

/** A tally of one system over the repetitions. */
interface Tally {
  readonly name: string;
  readonly side: SystemResult['side'];
  readonly mode: PeerBenchMode;
  readonly perRep: number[];
  agree: number;
  of: number;
  readonly steps?: StepCount;
  readonly checked: boolean;
}

function tally(name: string, side: SystemResult['side'], mode: PeerBenchMode, checked: boolean, steps?: StepCount): Tally {
  return { name, side, mode, perRep: [], agree: 0, of: 0, steps, checked };
}

function agreeCount(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** Measures one weight type; our side refusing the file gives a section with `skipped`. */
export async function benchWeights(
  target: string,
  weights: WeightType,
  file: string,
  draftFile: string,
  prompts: readonly PeerPrompt[],
  pieces: (tokens: readonly number[], prompt: Int32Array) => string[],
  tools: NativeTools,
  args: WeightsArgs,
  log: (line: string) => void,
): Promise<WeightsSection> {
  let ours: OursEntry[];
  try {
    ours = await oursSystems(file, args.specThreads, findForwardLatency(ENGINE_BENCH_FILE, target, 2, CURVE_WEIGHTS[weights]));
  } catch (e) {
    return { weights, file, skipped: `our engine refuses ${path.basename(file)}: ${(e as Error).message}`, results: [] };
  }
  const stop = [1, 2];
  const reference: number[][] = [];
  for (const p of prompts) reference.push(await ours[0].sys.generate(p.tokens, args.tokens, stop));
  const refPieces = reference.map((r, i) => pieces(r, prompts[i].tokens));
  const specRuns = nativeSpecRuns(tools, draftFile, args);
  const oursT = ours.map((o) => tally(o.name, 'specinfer', o.mode, true, o.steps));
  const benchT = [1, 2].map((t) => tally(`native llama-bench threads=${t}`, 'llama.cpp native', 'incremental', false));
  const specT = specRuns.map((s) => tally(speculativeName(s.run), 'llama.cpp native', s.mode, true));
  const jobs: (() => Promise<void>)[] = [
    ...ours.map((o, i) => async () => {
      let ms = 0;
      let count = 0;
      for (const [pi, p] of prompts.entries()) {
        const { tokens: out, decodeMs } = await o.sys.decode(p.tokens, args.tokens, stop);
        ms += decodeMs;
        count += out.length;
        oursT[i].agree += agreeCount(out, reference[pi]);
        oursT[i].of += reference[pi].length;
      }
      oursT[i].perRep.push((count / ms) * 1000);
    }),
    async () => {
      const rows = llamaBench(tools, file, args.tokens, [1, 2], 1);
      for (const r of rows) benchT[r.threads - 1]?.perRep.push(r.samplesTokS[0]);
    },
    ...specRuns.map((s, i) => async () => {
      let seconds = 0;
      let decoded = 0;
      for (const [pi, p] of prompts.entries()) {
        const { stdout, stats } = speculativeSimple(tools, file, p.text, args.tokens, s.run);
        seconds += stats.seconds;
        decoded += stats.decoded;
        specT[i].agree += tokensInAgreement(stdout, p.text, refPieces[pi]);
        specT[i].of += refPieces[pi].length;
      }
      specT[i].perRep.push(decoded / seconds);
    }),
  ];
  for (let rep = 0; rep < args.reps; rep++) {
    const order = jobs.map((_, i) => i);
    if (rep % 2 === 1) order.reverse();
    for (const i of order) await jobs[i]();
    log(`${target} ${weights}: repetition ${rep + 1}/${args.reps} done`);
  }
  for (const o of ours) await o.sys.dispose();
  const results = [...oursT, ...benchT, ...specT].map((t) => toResult(target, weights, t));
  return { weights, file, results };
}

function toResult(target: string, weights: WeightType, t: Tally): SystemResult {
  return {
    target,
    weights,
    system: t.name,
    side: t.side,
    mode: t.mode,
    tokensPerSecond: t.perRep,
    median: median(t.perRep),
    tokensPerStep: t.steps && t.steps.forwards > 0 ? t.steps.tokens / t.steps.forwards : undefined,
    matches: !t.checked || t.agree === t.of,
    agreement: t.checked ? { tokens: t.agree, of: t.of } : undefined,
  };
}
