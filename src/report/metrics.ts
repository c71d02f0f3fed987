import type { StepRecord } from '../decode/records.js';

/** Metrics of a set of step records (SPEC section 2 conventions). The one place they are computed. */
export interface Summary {
  readonly steps: number;
  /** Generated tokens (accepted + bonus/recovered, after cuts at stop tokens). */
  readonly tokens: number;
  /** tokens / steps, including the bonus/recovered token (incremental decoding = 1). */
  readonly tokensPerStep: number;
  /** Accepted draft tokens / proposed draft tokens (tree nodes); NaN when nothing was proposed. */
  readonly acceptance: number;
  readonly proposed: number;
  readonly accepted: number;
  /** perDepthAcceptance[d - 1] = steps whose path reached depth d / steps whose tree had depth >= d. */
  readonly perDepthAcceptance: readonly number[];
  /** Share of steps ending in a bonus token. */
  readonly bonusShare: number;
  /** Wall milliseconds per generated token (sum of step times; batched forwards counted once per step). */
  readonly msPerToken: number;
  readonly proposeMs: number;
  readonly scoreMs: number;
  readonly verifyMs: number;
  readonly commitMs: number;
}

export function summarize(records: readonly StepRecord[]): Summary {
  const sum = (f: (r: StepRecord) => number) => records.reduce((s, r) => s + f(r), 0);
  const tokens = sum((r) => r.emitted);
  const proposed = sum((r) => r.treeSize);
  const accepted = sum((r) => r.accepted);
  const depth = Math.max(0, ...records.map((r) => r.treeDepth));
  const perDepthAcceptance = Array.from({ length: depth }, (_, i) => {
    const eligible = records.filter((r) => r.treeDepth > i);
    return eligible.filter((r) => r.accepted > i).length / eligible.length;
  });
  // Steps of one batch share one target forward: count each step's scoreMs once.
  const batchSteps = new Map<number, number>();
  for (const r of records) batchSteps.set(r.step, Math.max(batchSteps.get(r.step) ?? 0, r.scoreMs));
  const scoreMs = [...batchSteps.values()].reduce((s, v) => s + v, 0);
  const proposeMs = sum((r) => r.proposeMs);
  const verifyMs = sum((r) => r.verifyMs);
  const commitMs = sum((r) => r.commitMs);
  return {
    steps: records.length,
    tokens,
    tokensPerStep: records.length > 0 ? tokens / records.length : NaN,
    acceptance: proposed > 0 ? accepted / proposed : NaN,
    proposed,
    accepted,
    perDepthAcceptance,
    bonusShare: records.length > 0 ? records.filter((r) => r.nextKind === 'bonus').length / records.length : NaN,
    msPerToken: tokens > 0 ? (proposeMs + scoreMs + verifyMs + commitMs) / tokens : NaN,
    proposeMs,
    scoreMs,
    verifyMs,
    commitMs,
  };
}

/** The one-line summary `generate` prints to stderr. */
export function formatStats(s: Summary): string {
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  return `tokens/step: ${fmt(s.tokensPerStep)}, acceptance: ${fmt(s.acceptance)}, steps: ${s.steps}, ms/token: ${fmt(s.msPerToken)}`;
}
