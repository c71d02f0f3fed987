import { ConfigError } from '../core/errors.js';
import type { Logits, Model, Sequence } from '../core/model.js';
import { monotonicClock, type Clock, type Rng } from '../core/types.js';
import type { DraftWork, References, Speculator, SpeculatorSession } from '../speculators/types.js';
import type { DraftTree } from '../tree/draft-tree.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier } from '../verifiers/types.js';
import { appendEmitted, stepRecord, type StepRecord, type StopReason } from './records.js';

export interface DecodeOptions {
  readonly maxTokens: number;
  /** Generation stops before emitting any of these (EOS; BOS for the stories models). */
  readonly stopTokens: readonly number[];
  readonly sampling: SamplingParams;
  /** Node budget of every tree. */
  readonly maxNodes: number;
  /**
   * Decode even when the verifier is not exact for the speculator's trees under
   * `sampling` (e.g. a greedy verifier at temperature 1); default false: an error.
   * A Run passes `!run.exact`, i.e. what it was built to allow.
   */
  readonly allowLossy?: boolean;
  readonly clock?: Clock;
  /** Called with each request's newly emitted tokens. */
  readonly onTokens?: (request: number, tokens: readonly number[]) => void;
}

export interface RequestOutput {
  readonly tokens: Int32Array; // generated tokens, prompt excluded
  readonly stop: StopReason;
}

export interface SpeculativeResult {
  readonly outputs: RequestOutput[];
  readonly records: StepRecord[];
  /** Batched target forwards (steps of the batch). */
  readonly forwards: number;
  /**
   * Milliseconds. prefillMs: opening every request (the target's prefill of the
   * prompt but its last token, the speculator's begin). decodeMs: the decoding
   * steps after it, which produce every output token (the first step scores
   * the prompt's last token), the window llama.cpp's own tools time as decoding.
   */
  readonly prefillMs: number;
  readonly decodeMs: number;
}

/** One request in flight. */
interface Live {
  readonly index: number;
  readonly target: Sequence;
  readonly draft: SpeculatorSession;
  readonly rng: { readonly draft: Rng; readonly verify: Rng };
  readonly out: number[];
  steps: number;
  /** Why the request ended; undefined while it runs. */
  stop?: StopReason;
}

/**
 * The speculative decoding loop (docs/design.md#terms-and-metrics, SpecInfer Algorithm 1), for
 * a batch of requests stepping together:
 *   propose (speculator + tree policy) -> score (one batched target forward
 *   over every tree) -> verify -> observe (speculators follow and learn, while
 *   the target's logits are still valid) -> commit (target cache);
 *   a finished request's session is told so (end), once.
 * Each request has its own seeded generator; the same seeds give the same output.
 */
export async function decodeSpeculative(
  target: Model,
  speculator: Speculator,
  verifier: Verifier,
  requests: readonly { readonly prompt: Int32Array; readonly rng: Rng; readonly references?: References }[],
  opts: DecodeOptions,
): Promise<SpeculativeResult> {
  checkExact(speculator, verifier, opts);
  const clock = opts.clock ?? monotonicClock;
  const t0 = clock.nowMs();
  const live: Live[] = [];
  for (const [index, r] of requests.entries()) {
    const rng = { draft: r.rng.fork('draft'), verify: r.rng.fork('verify') };
    live.push({ index, target: await target.open(r.prompt), draft: await speculator.begin(r.prompt, r.references), rng, out: [], steps: 0 });
  }
  const records: StepRecord[] = [];
  let forwards = 0;
  const t1 = clock.nowMs();
  for (let active = live.filter(running); active.length > 0; active = live.filter(running)) {
    records.push(...(await step(target, verifier, active, opts, clock, forwards++)));
  }
  const outputs = live.map((l) => ({ tokens: Int32Array.from(l.out), stop: l.stop ?? 'max-tokens' }));
  return { outputs, records, forwards, prefillMs: t1 - t0, decodeMs: clock.nowMs() - t1 };
}

/** Refuses a verifier that would not give the target's output for these trees and this sampling, unless allowed. */
function checkExact(speculator: Speculator, verifier: Verifier, opts: DecodeOptions): void {
  if (opts.allowLossy === true || verifier.exactFor(speculator.treeTraits(opts.sampling), opts.sampling)) return;
  const t = opts.sampling.temperature;
  throw new ConfigError(
    `the ${verifier.kind} verifier is not exact for ${speculator.kind}'s trees at temperature ${t}: decode with the sampling the run was built for (run.sampling), or pass allowLossy: true`,
  );
}

/** A request that has not stopped yet. */
function running(l: Live): boolean {
  return l.stop === undefined;
}

/**
 * One step of every active request: the proposals (concurrent, so a draft model
 * scores all trees' levels in shared forwards) and the batched target forward
 * are shared work, timed once; then each request in turn verifies, lets its
 * speculator observe, and commits, so each record times only its own work.
 */
async function step(target: Model, verifier: Verifier, active: Live[], opts: DecodeOptions, clock: Clock, forward: number): Promise<StepRecord[]> {
  const t0 = clock.nowMs();
  const trees = await Promise.all(
    active.map((l) => l.draft.propose({ sampling: opts.sampling, rng: l.rng.draft, maxNodes: opts.maxNodes, maxDepth: target.info.maxContext - l.target.length })),
  );
  const proposeMs = (clock.nowMs() - t0) / active.length;
  const work = active.map((l) => l.draft.draftWork?.());
  const t1 = clock.nowMs();
  const logits = await target.scoreBatch(
    active.map((l) => l.target),
    trees,
  );
  const shared = { forward, proposeMs, scoreMs: clock.nowMs() - t1 };
  const records: StepRecord[] = [];
  for (const [b, l] of active.entries()) records.push(await finish(l, trees[b], logits[b], verifier, target.info.maxContext, opts, clock, shared, work[b]));
  return records;
}

/** A request's own part of a step: verify, observe, commit, append; its record. */
async function finish(
  l: Live,
  tree: DraftTree,
  logits: Logits,
  verifier: Verifier,
  maxContext: number,
  opts: DecodeOptions,
  clock: Clock,
  shared: { readonly forward: number; readonly proposeMs: number; readonly scoreMs: number },
  work: DraftWork | undefined,
): Promise<StepRecord> {
  const t2 = clock.nowMs();
  const result = verifier.verify(tree, logits, opts.sampling, l.rng.verify);
  const t3 = clock.nowMs();
  const emitted = [...Array.from(result.path, (node) => tree.tokens[node]), result.next];
  // Speculators observe first: the target's logits rows stay valid until its commit.
  await l.draft.observe({ tree, path: result.path, emitted, target: logits });
  l.target.commit(result.path, result.next);
  const added = appendEmitted(l.out, emitted, opts.stopTokens, opts.maxTokens, () => l.target.length >= maxContext);
  l.stop = added.stop;
  if (!running(l)) await l.draft.end?.();
  opts.onTokens?.(l.index, added.kept);
  const ms = { proposeMs: shared.proposeMs, scoreMs: shared.scoreMs, verifyMs: t3 - t2, commitMs: clock.nowMs() - t3 };
  return { ...stepRecord(l.index, l.steps++, tree, result, added.produced, ms, added.stop, work), forward: shared.forward };
}
