import { STOP_REASONS, type StepRecord, type StopReason } from '../decode/records.js';

/**
 * Which target forward a record's scoreMs belongs to: records with equal keys
 * were scored by one (batched) forward, whose time counts once.
 */
export type ForwardKey = (record: StepRecord, index: number) => string | number;

/** The record's forward id; without one (older records), its step: right for the records of one decode call, whose batch steps together. */
const forwardOfStep: ForwardKey = (r) => r.forward ?? r.step;

/** Metrics of a set of step records (conventions of docs/design.md#terms-and-metrics). The one place they are computed. */
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
  /** Draft-model tree rows computed, and rows that reused an equal context's draft distribution (gsd); 0 without draft models. */
  readonly draftRows: number;
  readonly draftReused: number;
  /** perDepthAcceptance[d - 1] = steps whose path reached depth d / steps whose tree had depth >= d. */
  readonly perDepthAcceptance: readonly number[];
  /** Share of steps ending in a bonus token. */
  readonly bonusShare: number;
  /** Wall milliseconds per generated token (sum of step times; batched forwards counted once per step). */
  readonly msPerToken: number;
  /** Generated tokens per wall second: 1000 / msPerToken. */
  readonly tokensPerSecond: number;
  readonly proposeMs: number;
  readonly scoreMs: number;
  readonly verifyMs: number;
  readonly commitMs: number;
  /** Target forwards (batched steps); equals `steps` at batch size 1. */
  readonly forwards: number;
  /** Percentiles of the wall time of one batched step (its proposals, the forward once, verifications, commits). */
  readonly p50StepMs: number;
  readonly p90StepMs: number;
  /**
   * Percentiles over target forwards of the forward's wall time (as in
   * p50StepMs) per token it produced: a stall moves these little where it
   * moves the mean msPerToken a lot.
   */
  readonly p50MsPerToken: number;
  readonly p90MsPerToken: number;
  /** Requests ended per reason (records carrying `stop`). */
  readonly stops: Readonly<Record<StopReason, number>>;
}

/**
 * Summarizes records. `forwardOf` groups records that shared one target
 * forward (default: by step, right for the records of one decode call).
 */
export function summarize(records: readonly StepRecord[], forwardOf: ForwardKey = forwardOfStep): Summary {
  const sum = (f: (r: StepRecord) => number) => records.reduce((s, r) => s + f(r), 0);
  const tokens = sum((r) => r.emitted);
  const proposed = sum((r) => r.treeSize);
  const accepted = sum((r) => r.accepted);
  const stepMs = stepLatencies(records, forwardOf);
  const msPerTokenOfForward = forwardTokens(records, forwardOf).flatMap((n, i) => (n > 0 ? [stepMs[i] / n] : []));
  const scoreMs = forwardScoreMs(records, forwardOf);
  const proposeMs = sum((r) => r.proposeMs);
  const verifyMs = sum((r) => r.verifyMs);
  const commitMs = sum((r) => r.commitMs);
  const { tokensPerStep, acceptance, msPerToken } = ratios({ steps: records.length, tokens, proposed, accepted, ms: proposeMs + scoreMs + verifyMs + commitMs });
  return {
    steps: records.length,
    tokens,
    tokensPerStep,
    acceptance,
    proposed,
    accepted,
    draftRows: sum((r) => r.draftRows ?? 0),
    draftReused: sum((r) => r.draftReused ?? 0),
    perDepthAcceptance: perDepthAcceptance(records),
    bonusShare: records.length > 0 ? records.filter((r) => r.nextKind === 'bonus').length / records.length : NaN,
    msPerToken,
    tokensPerSecond: msPerToken > 0 ? 1000 / msPerToken : NaN,
    proposeMs,
    scoreMs,
    verifyMs,
    commitMs,
    forwards: stepMs.length,
    p50StepMs: percentile(stepMs, 0.5),
    p90StepMs: percentile(stepMs, 0.9),
    p50MsPerToken: percentile(msPerTokenOfForward, 0.5),
    p90MsPerToken: percentile(msPerTokenOfForward, 0.9),
    stops: Object.fromEntries(STOP_REASONS.map((why) => [why, records.filter((r) => r.stop === why).length])) as Record<StopReason, number>,
  };
}

/** Additive counts of a set of records: the headline metrics are ratios of these (see `ratios`). */
export interface Totals {
  readonly steps: number;
  readonly tokens: number;
  readonly proposed: number;
  readonly accepted: number;
  /** Wall milliseconds (propose + score + verify + commit; a batched forward's score time once). */
  readonly ms: number;
}

/** The headline metrics of totals: tokens/step, acceptance, ms/token (NaN where the denominator is 0). */
export function ratios(t: Totals): Pick<Summary, 'tokensPerStep' | 'acceptance' | 'msPerToken'> {
  return {
    tokensPerStep: t.steps > 0 ? t.tokens / t.steps : NaN,
    acceptance: t.proposed > 0 ? t.accepted / t.proposed : NaN,
    msPerToken: t.tokens > 0 ? t.ms / t.tokens : NaN,
  };
}

export const ZERO_TOTALS: Totals = { steps: 0, tokens: 0, proposed: 0, accepted: 0, ms: 0 };

export function addTotals(a: Totals, b: Totals): Totals {
  return { steps: a.steps + b.steps, tokens: a.tokens + b.tokens, proposed: a.proposed + b.proposed, accepted: a.accepted + b.accepted, ms: a.ms + b.ms };
}

/**
 * Totals per unit (e.g. per request: workload, prompt, seed), keys in
 * first-seen order. A batched forward's score time is split equally among
 * the records that shared it, so the units' ms add up to summarize's total.
 */
export function unitTotals<R extends StepRecord>(records: readonly R[], unitOf: (r: R) => string, forwardOf: ForwardKey = forwardOfStep): Map<string, Totals> {
  const shareOf = new Map<StepRecord, number>();
  for (const g of byForward(records, forwardOf)) {
    const share = Math.max(...g.map((r) => r.scoreMs)) / g.length;
    for (const r of g) shareOf.set(r, share);
  }
  const out = new Map<string, Totals>();
  for (const r of records) {
    const ms = r.proposeMs + r.verifyMs + r.commitMs + (shareOf.get(r) ?? 0);
    const one: Totals = { steps: 1, tokens: r.emitted, proposed: r.treeSize, accepted: r.accepted, ms };
    const k = unitOf(r);
    out.set(k, addTotals(out.get(k) ?? ZERO_TOTALS, one));
  }
  return out;
}

function perDepthAcceptance(records: readonly StepRecord[]): number[] {
  const depth = records.reduce((m, r) => Math.max(m, r.treeDepth), 0);
  return Array.from({ length: depth }, (_, i) => {
    const eligible = records.filter((r) => r.treeDepth > i);
    return eligible.filter((r) => r.accepted > i).length / eligible.length;
  });
}

/** Records by forward, in first-seen order. */
function byForward(records: readonly StepRecord[], forwardOf: ForwardKey): StepRecord[][] {
  const groups = new Map<string | number, StepRecord[]>();
  records.forEach((r, i) => {
    const k = forwardOf(r, i);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  });
  return [...groups.values()];
}

/** Target forward time: each forward's scoreMs once (the records of a batch all carry it). */
function forwardScoreMs(records: readonly StepRecord[], forwardOf: ForwardKey): number {
  return byForward(records, forwardOf).reduce((s, g) => s + Math.max(...g.map((r) => r.scoreMs)), 0);
}

/**
 * Wall milliseconds of each batched step, in first-seen order: every record's
 * propose, verify and commit time plus the shared forward once. Sums to the
 * total time behind msPerToken.
 */
export function stepLatencies(records: readonly StepRecord[], forwardOf: ForwardKey = forwardOfStep): number[] {
  return byForward(records, forwardOf).map((g) => Math.max(...g.map((r) => r.scoreMs)) + g.reduce((s, r) => s + r.proposeMs + r.verifyMs + r.commitMs, 0));
}

/** Tokens produced by each batched step, in the order of stepLatencies. */
function forwardTokens(records: readonly StepRecord[], forwardOf: ForwardKey): number[] {
  return byForward(records, forwardOf).map((g) => g.reduce((s, r) => s + r.emitted, 0));
}

/** The q-quantile (0..1) with linear interpolation between order statistics (numpy's default); NaN for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Shares of the step time spent proposing, in the target forward, verifying and committing (sum to 1). */
export interface TimeShares {
  readonly propose: number;
  readonly score: number;
  readonly verify: number;
  readonly commit: number;
}

export function timeShares(s: Summary): TimeShares {
  const total = s.proposeMs + s.scoreMs + s.verifyMs + s.commitMs;
  const share = (ms: number) => (total > 0 ? ms / total : NaN);
  return { propose: share(s.proposeMs), score: share(s.scoreMs), verify: share(s.verifyMs), commit: share(s.commitMs) };
}

/**
 * Speedup of a method over incremental decoding of the same target measured
 * in the same run: baseline ms/token / method ms/token (= ratio of tokens/s).
 */
export function speedup(baseline: Pick<Summary, 'msPerToken'>, method: Pick<Summary, 'msPerToken'>): number {
  return baseline.msPerToken / method.msPerToken;
}

/** The one-line summary `generate` prints to stderr. */
export function formatStats(s: Summary): string {
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  return `tokens/step: ${fmt(s.tokensPerStep)}, acceptance: ${fmt(s.acceptance)}, steps: ${s.steps}, ms/token: ${fmt(s.msPerToken)} (median ${fmt(s.p50MsPerToken)}, p90 ${fmt(s.p90MsPerToken)})`;
}
