/**
 * A cell's records as bootstrap units (one per request: workload, prompt,
 * seed) and the intervals of its headline metrics. Metrics are those of
 * metrics.ts (`ratios`, `speedup`) over the resampled units' totals.
 */
import type { CellRecord } from '../harness/cell.js';
import { compositeKey } from './frame.js';
import { bootstrap, NO_INTERVAL, type BootstrapOptions, type Interval } from './intervals.js';
import { addTotals, ratios, speedup, unitTotals, ZERO_TOTALS, type ForwardKey, type Totals } from './metrics.js';

/** Totals per request key, in first-seen order. */
export type Units = ReadonlyMap<string, Totals>;

/** The metrics that carry an interval. */
export type IntervalMetric = 'tokensPerStep' | 'acceptance' | 'msPerToken' | 'speedup';
export type Intervals = Readonly<Record<IntervalMetric, Interval>>;

/** The unit of a record: its request (workload, prompt id, seed). */
function requestKey(r: Pick<CellRecord, 'workload' | 'prompt' | 'seed'>): string {
  return compositeKey(r.workload, r.prompt, String(r.seed));
}

/** A cell's units; `forwardOf` as for summarize (batched forwards shared among their records). */
export function cellUnits(records: readonly CellRecord[], forwardOf: ForwardKey): Units {
  return unitTotals(records, requestKey, forwardOf);
}

/** Totals of the units at `indices` (repeats counted each time). */
export function totalsAt(units: readonly Totals[], indices: ArrayLike<number>): Totals {
  let t = ZERO_TOTALS;
  for (let i = 0; i < indices.length; i++) t = addTotals(t, units[indices[i]]);
  return t;
}

/** The totals of the keys present in every one of `sets`, aligned: out[s][i] is key i in set s. */
export function pairedUnits(sets: readonly Units[]): Totals[][] {
  const keys = [...sets[0].keys()].filter((k) => sets.every((s) => s.has(k)));
  return sets.map((s) => keys.map((k) => s.get(k) as Totals));
}

/** Speedup of `method` over `base` on the same resampled units: a ratio of sums (metrics.speedup of their totals). */
export function pairedSpeedup(base: readonly Totals[], method: readonly Totals[], indices: ArrayLike<number>): number {
  return speedup(ratios(totalsAt(base, indices)), ratios(totalsAt(method, indices)));
}

/**
 * Intervals of a cell's tokens/step, acceptance and ms/token over its units,
 * and of its speedup over the requests it shares with its baseline (paired).
 */
export function cellIntervals(units: Units, base: Units | undefined, opts: BootstrapOptions): Intervals {
  const own = [...units.values()];
  const [tokensPerStep, acceptance, msPerToken] = bootstrap(
    own.length,
    (idx) => {
      const r = ratios(totalsAt(own, idx));
      return [r.tokensPerStep, r.acceptance, r.msPerToken];
    },
    opts,
  );
  if (!base) return { tokensPerStep, acceptance, msPerToken, speedup: NO_INTERVAL };
  const [b, m] = pairedUnits([base, units]);
  const [s] = bootstrap(b.length, (idx) => [pairedSpeedup(b, m, idx)], opts);
  return { tokensPerStep, acceptance, msPerToken, speedup: s };
}
