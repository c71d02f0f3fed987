/**
 * One decode cell: its run built (models from the shared cache; the target
 * is an engine model, or a recorded trace for replays), one unrecorded
 * warm-up request on a throwaway speculator (engine runs), then every prompt
 * of its workloads once per seed, in batches of batchSize; each decode
 * call's records stay contiguous; their `forward` ids count the cell's target
 * forwards from 0.
 */
import type { Model } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { Clock } from '../core/types.js';
import type { StopReason } from '../decode/records.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { decodeText, type Tokenizer } from '../model/formats/tokenizer.js';
import type { SamplingParams } from '../sampling/params.js';
import type { References, Speculator } from '../speculators/types.js';
import type { Verifier } from '../verifiers/types.js';
import type { CellRecord, DecodeResult, OutputRecord } from './cell.js';
import { buildPlannedRun, type ModelProvider } from './components.js';
import { cellSeeds } from './experiment.js';
import type { CellPlan } from './plan.js';
import { referenceTokens, type WorkloadPrompt } from './workload.js';

/** A cell's prompts: each workload's (first promptsPerWorkload) prompts. */
export type CellPrompts = readonly { readonly workload: string; readonly prompts: readonly WorkloadPrompt[] }[];

export interface CellContext {
  readonly models: ModelProvider;
  readonly clock: Clock;
  /** After each decode call: requests finished, tokens generated and its wall milliseconds (prefill and decoding). */
  readonly onBatch?: (requests: number, tokens: number, ms: number) => void;
}

/** The per-request generator: the same (seed, workload, prompt) always gives the same stream. */
export function requestRng(seed: number, workload: string, promptId: string) {
  return createRng(seed).fork(`${workload}/${promptId}`);
}

/** What a decode cell decodes with: the one decoding loop's target, speculator and verifier, and how a prompt becomes a request. */
export interface CellRun {
  readonly target: Model;
  /** False when the target does not compute (a trace): records carry scoreMs 0. */
  readonly timesTarget: boolean;
  readonly speculator: Speculator;
  readonly verifier: Verifier;
  readonly sampling: SamplingParams;
  /** Stop tokens (BOS, EOS) and the text of outputs. */
  readonly tokenizer: Tokenizer;
  /** A prompt's tokens (BOS first) and its reference documents, tokenized. */
  request(workload: string, prompt: WorkloadPrompt): { readonly prompt: Int32Array; readonly references: References };
  dispose(): Promise<void>;
}

/** Where a cell's runs come from; `warmUp`: whether one unrecorded warm-up request precedes the cell (timed runs). */
export interface CellRuns {
  build(plan: CellPlan, ctx: CellContext): Promise<CellRun>;
  readonly warmUp: boolean;
}

/** Runs of the target's engine model (`specinfer run`). */
const engineRuns: CellRuns = {
  warmUp: true,
  build: async (plan, ctx) => {
    const run = await buildPlannedRun(plan.run, ctx.models);
    const tok = run.tokenizer;
    const request = (_workload: string, p: WorkloadPrompt) => ({ prompt: tok.encode(p.prompt, { bos: true }), references: referenceTokens(tok, p) });
    return {
      target: run.target,
      timesTarget: true,
      speculator: run.speculator,
      verifier: run.verifier,
      sampling: plan.config.sampling,
      tokenizer: tok,
      request,
      dispose: () => run.dispose(),
    };
  },
};

export async function runDecodeCell(plan: CellPlan, prompts: CellPrompts, ctx: CellContext, runs: CellRuns = engineRuns): Promise<DecodeResult> {
  const c = plan.config;
  if (runs.warmUp && c.warmupTokens > 0 && prompts.length > 0 && prompts[0].prompts.length > 0) await warmUp(plan, prompts[0].workload, prompts[0].prompts[0], ctx, runs);
  const run = await runs.build(plan, ctx);
  try {
    const records: CellRecord[] = [];
    const outputs: OutputRecord[] = [];
    let forwards = 0;
    for (const { workload, prompts: list } of prompts) {
      for (const seed of cellSeeds(c)) {
        for (let i = 0; i < list.length; i += c.batchSize) {
          const batch = list.slice(i, i + c.batchSize);
          const t0 = ctx.clock.nowMs();
          const got = await decodeBatch(run, plan, batch, workload, seed, ctx, forwards);
          forwards += got.forwards;
          records.push(...got.records);
          outputs.push(...got.outputs);
          ctx.onBatch?.(
            batch.length,
            got.records.reduce((s, r) => s + r.emitted, 0),
            ctx.clock.nowMs() - t0,
          );
        }
      }
    }
    return { records, outputs };
  } finally {
    await run.dispose();
  }
}

/** One decode call; its records' forward ids start at `firstForward`. */
async function decodeBatch(
  run: CellRun,
  plan: CellPlan,
  batch: readonly WorkloadPrompt[],
  workload: string,
  seed: number,
  ctx: CellContext,
  firstForward: number,
): Promise<DecodeResult & { readonly forwards: number }> {
  const tok = run.tokenizer;
  const requests = batch.map((p) => ({ ...run.request(workload, p), rng: requestRng(seed, workload, p.id) }));
  const { records, outputs, forwards } = await decodeWith(run, requests, plan.config.maxTokens, plan, ctx);
  const at = (i: number) => ({ cell: plan.info.id, workload, prompt: batch[i].id, seed });
  return {
    records: records.map((r) => ({ ...r, ...at(r.request), forward: firstForward + (r.forward ?? 0), ...(run.timesTarget ? {} : { scoreMs: 0 }) })),
    outputs: outputs.map((o, i) => outputRecord(at(i), tok, requests[i].prompt, o.tokens, o.stop)),
    forwards,
  };
}

/** The output line of a request: its tokens, their text (as printed after `prompt`'s last token), why it stopped. */
function outputRecord(
  at: Pick<OutputRecord, 'cell' | 'workload' | 'prompt' | 'seed'>,
  tok: Tokenizer,
  prompt: ArrayLike<number>,
  tokens: ArrayLike<number>,
  stop: StopReason,
): OutputRecord {
  const generated = Array.from(tokens);
  return { ...at, tokens: generated, text: decodeText(tok, [prompt[prompt.length - 1], ...generated]), stop };
}

/** One request of warmupTokens tokens on a run of its own (speculator state such as suffix trees stays clean). */
async function warmUp(plan: CellPlan, workload: string, prompt: WorkloadPrompt, ctx: CellContext, runs: CellRuns): Promise<void> {
  const run = await runs.build(plan, ctx);
  try {
    await decodeWith(run, [{ ...run.request(workload, prompt), rng: createRng(0).fork('warm-up') }], plan.config.warmupTokens, plan, ctx);
  } finally {
    await run.dispose();
  }
}

/** The decoding loop over `requests` with the run's components, up to `maxTokens` each. */
function decodeWith(run: CellRun, requests: Parameters<typeof decodeSpeculative>[3], maxTokens: number, plan: CellPlan, ctx: CellContext): ReturnType<typeof decodeSpeculative> {
  const tok = run.tokenizer;
  const opts = { maxTokens, stopTokens: [tok.bosId, tok.eosId], sampling: run.sampling, maxNodes: plan.config.maxNodes, allowLossy: plan.config.allowLossy, clock: ctx.clock };
  return decodeSpeculative(run.target, run.speculator, run.verifier, requests, opts);
}
