import { argmax } from '../core/math.js';
import type { Model } from '../core/model.js';
import { monotonicClock, type Clock } from '../core/types.js';
import { EMPTY_TREE } from '../tree/tree.js';

export interface IncrementalOptions {
  readonly maxTokens: number;
  /** Generation stops before emitting any of these (e.g. BOS, EOS). */
  readonly stopTokens: readonly number[];
  readonly clock?: Clock;
  /** Called with each generated token as soon as it is known. */
  readonly onToken?: (token: number, prev: number) => void;
}

export interface GenerationResult {
  readonly tokens: Int32Array; // generated tokens, prompt excluded
  readonly steps: number; // target forward passes after the prefill
  readonly prefillMs: number;
  readonly decodeMs: number;
}

/**
 * Plain incremental greedy decoding: one target forward per token, the
 * baseline every speculative method is compared against (tokens/step = 1).
 */
export async function generateIncremental(model: Model, prompt: Int32Array, opts: IncrementalOptions): Promise<GenerationResult> {
  const clock = opts.clock ?? monotonicClock;
  const t0 = clock.nowMs();
  const seq = await model.open(prompt);
  const t1 = clock.nowMs();
  const out: number[] = [];
  let steps = 0;
  const room = model.info.maxContext - prompt.length + 1; // the last token needs no cache row
  while (out.length < Math.min(opts.maxTokens, room)) {
    const logits = await seq.score(EMPTY_TREE);
    steps++;
    const next = argmax(logits.row(0));
    if (opts.stopTokens.includes(next)) break;
    opts.onToken?.(next, seq.root);
    out.push(next);
    seq.commit(new Int32Array(0), next);
  }
  return { tokens: Int32Array.from(out), steps, prefillMs: t1 - t0, decodeMs: clock.nowMs() - t1 };
}
