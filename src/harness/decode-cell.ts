/**
 * One decode cell: its run built (models from the shared cache), one
 * unrecorded warm-up request on a throwaway speculator, then every prompt
 * of its workloads once per seed, in batches of batchSize; each decode
 * call's records stay contiguous; their `forward` ids count the cell's target
 * forwards from 0.
 */
import { createRng } from '../core/rng.js';
import type { Clock } from '../core/types.js';
import type { StopReason } from '../decode/records.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { decodeText, type Tokenizer } from '../model/tokenizer.js';
import type { CellRecord, DecodeResult, OutputRecord } from './cell.js';
import { buildRun, type ModelProvider, type Run } from './components.js';
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

export async function runDecodeCell(plan: CellPlan, prompts: CellPrompts, ctx: CellContext): Promise<DecodeResult> {
  const c = plan.config;
  if (c.warmupTokens > 0 && prompts.length > 0 && prompts[0].prompts.length > 0) await warmUp(plan, prompts[0].prompts[0], ctx);
  const run = await buildRun(plan.spec, ctx.models);
  try {
    const records: CellRecord[] = [];
    const outputs: OutputRecord[] = [];
    let forwards = 0;
    for (const { workload, prompts: list } of prompts) {
      for (const seed of c.seeds) {
        for (let i = 0; i < list.length; i += c.batchSize) {
          const batch = list.slice(i, i + c.batchSize);
          const t0 = ctx.clock.nowMs();
          const got = await decodeBatch(run, plan, batch, workload, seed, ctx, forwards);
          forwards += got.forwards;
          records.push(...got.records);
          outputs.push(...got.outputs);
          ctx.onBatch?.(batch.length, got.records.reduce((s, r) => s + r.emitted, 0), ctx.clock.nowMs() - t0);
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
  run: Run,
  plan: CellPlan,
  batch: readonly WorkloadPrompt[],
  workload: string,
  seed: number,
  ctx: CellContext,
  firstForward: number,
): Promise<DecodeResult & { readonly forwards: number }> {
  const c = plan.config;
  const tok = run.tokenizer;
  const requests = batch.map((p) => ({ prompt: tok.encode(p.prompt, { bos: true }), rng: requestRng(seed, workload, p.id), references: referenceTokens(tok, p) }));
  const { records, outputs, forwards } = await decodeSpeculative(run.target, run.speculator, run.verifier, requests, {
    maxTokens: c.maxTokens,
    stopTokens: [tok.bosId, tok.eosId],
    sampling: c.sampling,
    maxNodes: c.maxNodes,
    clock: ctx.clock,
  });
  const at = (i: number) => ({ cell: plan.info.id, workload, prompt: batch[i].id, seed });
  return {
    records: records.map((r) => ({ ...r, ...at(r.request), forward: firstForward + (r.forward ?? 0) })),
    outputs: outputs.map((o, i) => outputRecord(at(i), tok, requests[i].prompt, o.tokens, o.stop)),
    forwards,
  };
}

/** The output line of a request: its tokens, their text (as printed after `prompt`'s last token), why it stopped. */
export function outputRecord(at: Pick<OutputRecord, 'cell' | 'workload' | 'prompt' | 'seed'>, tok: Tokenizer, prompt: ArrayLike<number>, tokens: ArrayLike<number>, stop: StopReason): OutputRecord {
  const generated = Array.from(tokens);
  return { ...at, tokens: generated, text: decodeText(tok, [prompt[prompt.length - 1], ...generated]), stop };
}

/** One request of warmupTokens tokens on a run of its own (speculator state such as suffix trees stays clean). */
async function warmUp(plan: CellPlan, prompt: WorkloadPrompt, ctx: CellContext): Promise<void> {
  const run = await buildRun(plan.spec, ctx.models);
  try {
    const tok = run.tokenizer;
    const requests = [{ prompt: tok.encode(prompt.prompt, { bos: true }), rng: createRng(0).fork('warm-up'), references: referenceTokens(tok, prompt) }];
    const c = plan.config;
    await decodeSpeculative(run.target, run.speculator, run.verifier, requests, {
      maxTokens: c.warmupTokens,
      stopTokens: [tok.bosId, tok.eosId],
      sampling: c.sampling,
      maxNodes: c.maxNodes,
      clock: ctx.clock,
    });
  } finally {
    await run.dispose();
  }
}
