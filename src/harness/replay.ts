/**
 * Replay (`specinfer replay`): a decode cell with a target trace in the
 * target's place. The cell runs the one decoding loop (decode-cell.ts) with
 * a TraceModel as the target and greedy verification, so records and
 * outputs equal a real greedy run's, timings aside (no target forward runs:
 * scoreMs is ~0, and runs are recorded untimed; no warm-up request).
 */
import { ConfigError } from '../core/errors.js';
import { GREEDY } from '../sampling/params.js';
import { GreedyVerifier } from '../verifiers/greedy.js';
import { buildSpeculatorOnly } from './components.js';
import { runDecodeCell, type CellRun, type CellRuns } from './decode-cell.js';
import type { CellPlan } from './plan.js';
import type { CellMeasure } from './run.js';
import type { Trace, TraceEntry } from './trace.js';
import { TraceModel } from './trace-model.js';

/** The measure of decode cells against `trace`. */
export function replayMeasure(trace: Trace): CellMeasure {
  return async (plan, prompts, ctx) => {
    const entries = prompts.flatMap(({ workload, prompts: list }) => list.map((p) => entryOf(trace, plan.config.target, workload, p.id, plan.config.maxTokens)));
    return runDecodeCell(plan, prompts, ctx, traceRuns(trace, entries));
  };
}

/** Runs whose target is the trace: the prompts' (checked) `entries` of it. */
function traceRuns(trace: Trace, entries: readonly TraceEntry[]): CellRuns {
  return {
    warmUp: false,
    build: async (plan: CellPlan, ctx): Promise<CellRun> => {
      const speculator = await buildSpeculatorOnly(plan.run, ctx.models);
      // The tokenizer and vocabulary size; buildSpeculatorOnly read the same model (cached by ctx.models).
      const loaded = await ctx.models.load(plan.config.target);
      const tok = loaded.tokenizer;
      const { vocabSize, maxSeqLen } = loaded.weights.config;
      const target = new TraceModel({ id: plan.config.target, vocabSize, maxContext: maxSeqLen, bosId: tok.bosId, eosIds: [tok.eosId] }, entries);
      const request = (workload: string, p: { readonly id: string }) => {
        const e = entryOf(trace, plan.config.target, workload, p.id, plan.config.maxTokens);
        return { prompt: Int32Array.from(e.promptTokens), references: (e.referenceTokens ?? []).map((r) => Int32Array.from(r)) };
      };
      return { target, timesTarget: false, speculator, verifier: new GreedyVerifier(), sampling: GREEDY, tokenizer: tok, request, dispose: () => speculator.dispose() };
    },
  };
}

/** The trace's entry of a prompt, long enough for maxTokens (or reaching the context's end). */
function entryOf(trace: Trace, target: string, workload: string, prompt: string, maxTokens: number): TraceEntry {
  const e = trace.get(target, workload, prompt);
  if (!e) throw new ConfigError(`the trace has no entry for target ${target}, workload ${workload}, prompt ${prompt}; record it again with \`specinfer trace\` on this config`);
  if (e.tokens.length < maxTokens && e.promptTokens.length + e.tokens.length < e.maxContext) {
    throw new ConfigError(
      `the trace of ${workload}/${prompt} holds ${e.tokens.length} tokens, fewer than maxTokens ${maxTokens}; record it again with \`specinfer trace\` on this config`,
    );
  }
  return e;
}
