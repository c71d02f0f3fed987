/**
 * Percentile bootstrap confidence intervals over units (a unit is one
 * request: workload, prompt and seed). A resample draws n units with
 * replacement from the n; each statistic is recomputed on it; the interval is
 * the (1 - level)/2 and (1 + level)/2 quantiles of the statistic over the
 * resamples. Statistics are pooled ratios (ratios of sums over the resampled
 * units), as the point estimates are.
 */
import { createRng } from '../core/rng.js';
import type { Rng } from '../core/types.js';
import { percentile } from './metrics.js';

/** A confidence interval; NaN bounds when none can be estimated. */
export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

export const NO_INTERVAL: Interval = { lo: NaN, hi: NaN };

export interface BootstrapOptions {
  /** The random stream of the resamples: the same stream gives the same intervals. */
  readonly rng: Rng;
  /** Number of resamples. */
  readonly resamples: number;
  /** Coverage, e.g. 0.95. */
  readonly level: number;
}

const DEFAULT_RESAMPLES = 2000;
const DEFAULT_LEVEL = 0.95;

/** Options with a fresh stream of `seed` (default 0): every report of the same records gives the same intervals. */
export function bootstrapOptions(seed = 0, resamples = DEFAULT_RESAMPLES, level = DEFAULT_LEVEL): BootstrapOptions {
  return { rng: createRng(seed), resamples, level };
}

/** `n` indices drawn uniformly from 0..n-1 with replacement. */
export function resampleIndices(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(n - 1, Math.floor(rng.uniform() * n));
  return out;
}

/**
 * Intervals of K statistics of n units: `statistics(indices)` returns the K
 * values on the units at `indices` (a resample, repeats allowed). Resamples
 * where a statistic is NaN (e.g. nothing proposed) are left out of its
 * quantiles. Fewer than 2 units give NaN intervals (no spread to estimate).
 */
export function bootstrap(n: number, statistics: (indices: ArrayLike<number>) => readonly number[], opts: BootstrapOptions): Interval[] {
  const k = statistics(Array.from({ length: n }, (_, i) => i)).length;
  if (n < 2) return Array.from({ length: k }, () => NO_INTERVAL);
  const draws: number[][] = Array.from({ length: k }, () => []);
  for (let b = 0; b < opts.resamples; b++) {
    const values = statistics(resampleIndices(n, opts.rng));
    values.forEach((v, j) => {
      if (!Number.isNaN(v)) draws[j].push(v);
    });
  }
  const tail = (1 - opts.level) / 2;
  return draws.map((d) => (d.length === 0 ? NO_INTERVAL : { lo: percentile(d, tail), hi: percentile(d, 1 - tail) }));
}

/** Whether an interval lies wholly above or below `x` (NaN bounds: no). */
export function excludes(ci: Interval, x: number): boolean {
  return ci.lo > x || ci.hi < x;
}
