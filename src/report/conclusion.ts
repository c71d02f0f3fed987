/**
 * The report's opening conclusion, computed from the data: the best
 * speculating cell by speedup and by tokens/step, each with its 95% interval,
 * and whether it beats the runner-up: a paired bootstrap of the difference
 * over the requests (workload, prompt, seed) both cells ran.
 */
import { bootstrap, excludes, NO_INTERVAL, type BootstrapOptions, type Interval } from './intervals.js';
import { ratios, type Totals } from './metrics.js';
import type { SummaryRow } from './summary.js';
import { pairedSpeedup, pairedUnits, totalsAt, type IntervalMetric, type Units } from './units.js';

type RankMetric = 'speedup' | 'tokensPerStep';

/** best − runner-up on the requests both ran (and, for speedup, their baselines ran). */
interface Difference {
  readonly value: number;
  readonly ci: Interval;
  /** Paired requests. */
  readonly n: number;
}

interface Comparison {
  readonly metric: RankMetric;
  readonly best: SummaryRow;
  readonly runnerUp?: SummaryRow;
  readonly difference?: Difference;
  /** The difference's 95% interval lies above 0. */
  readonly significant: boolean;
}

export interface Conclusion {
  readonly bySpeedup?: Comparison;
  readonly byTokensPerStep?: Comparison;
}

/** A metric of one cell on the resampled indices of its paired units: [own] or [baseline, own]. */
type PairedMetric = (sets: readonly (readonly Totals[])[], indices: ArrayLike<number>) => number;

const tokensPerStepOf: PairedMetric = ([own], idx) => ratios(totalsAt(own, idx)).tokensPerStep;
const speedupOf: PairedMetric = ([base, own], idx) => pairedSpeedup(base, own, idx);

/** The unit sets a cell's metric needs, or undefined when one is missing. */
function unitSets(metric: RankMetric, row: SummaryRow, units: ReadonlyMap<string, Units>): Units[] | undefined {
  const ids = metric === 'speedup' ? [row.baselineCell, row.cell] : [row.cell];
  const sets = ids.map((id) => units.get(id));
  return sets.every((s): s is Units => s !== undefined) ? sets : undefined;
}

function difference(metric: RankMetric, a: SummaryRow, b: SummaryRow, units: ReadonlyMap<string, Units>, opts: BootstrapOptions): Difference | undefined {
  const sa = unitSets(metric, a, units);
  const sb = unitSets(metric, b, units);
  if (!sa || !sb) return undefined;
  const paired = pairedUnits([...sa, ...sb]);
  const ofA = paired.slice(0, sa.length);
  const ofB = paired.slice(sa.length);
  const f = metric === 'speedup' ? speedupOf : tokensPerStepOf;
  const stat = (idx: ArrayLike<number>) => [f(ofA, idx) - f(ofB, idx)];
  const n = paired[0].length;
  const all = Array.from({ length: n }, (_, i) => i);
  const [ci] = n > 0 ? bootstrap(n, stat, { ...opts, rng: opts.rng.fork(`${metric}/${a.cell}/${b.cell}`) }) : [NO_INTERVAL];
  return { value: n > 0 ? stat(all)[0] : NaN, ci, n };
}

function compare(metric: RankMetric, rows: readonly SummaryRow[], units: ReadonlyMap<string, Units>, opts: BootstrapOptions): Comparison | undefined {
  const ranked = rows.filter((r) => !r.baseline && Number.isFinite(r[metric])).sort((x, y) => y[metric] - x[metric]);
  const [best, runnerUp] = ranked;
  if (!best) return undefined;
  const diff = runnerUp && difference(metric, best, runnerUp, units, opts);
  return { metric, best, runnerUp, difference: diff, significant: diff !== undefined && excludes(diff.ci, 0) && diff.value > 0 };
}

/** Best cells by speedup and by tokens/step among speculating cells (rows: one per cell; units: by cell id). */
export function conclusion(rows: readonly SummaryRow[], units: ReadonlyMap<string, Units>, opts: BootstrapOptions): Conclusion {
  return { bySpeedup: compare('speedup', rows, units, opts), byTokensPerStep: compare('tokensPerStep', rows, units, opts) };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const ci = (i: Interval) => (Number.isFinite(i.lo) && Number.isFinite(i.hi) ? ` [${fmt(i.lo)}, ${fmt(i.hi)}]` : ' [no interval]');
const name = (r: SummaryRow) => (r.label ? `${r.cell} (${r.label})` : r.cell);
const value = (r: SummaryRow, m: IntervalMetric) => `${fmt(r[m])}${ci(r.ci[m])}`;

function verdict(c: Comparison): string {
  if (!c.runnerUp) return 'No other speculating cell to compare with.';
  const runner = `Runner-up ${name(c.runnerUp)}: ${value(c.runnerUp, c.metric)}.`;
  const d = c.difference;
  if (!d || d.n < 2) return `${runner} Too few requests run by both to test the difference.`;
  const test = `Difference ${fmt(d.value)}${ci(d.ci)} (paired bootstrap over ${d.n} requests run by both)`;
  return `${runner} ${test}: ${c.significant ? 'significant at the 95% level' : 'not significant at the 95% level (the interval includes 0)'}.`;
}

/** The conclusion as sentences for the report, definitions last. */
export function conclusionLines(c: Conclusion, resamples: number): string[] {
  const lines: string[] = [];
  const s = c.bySpeedup;
  if (s) lines.push(`Fastest: ${name(s.best)}, speedup ${value(s.best, 'speedup')} over incremental decoding of the same target. ${verdict(s)}`);
  const t = c.byTokensPerStep;
  if (t) {
    const acceptance = Number.isFinite(t.best.acceptance) ? `, acceptance ${value(t.best, 'acceptance')}` : '';
    lines.push(`Most tokens per step: ${name(t.best)}, ${value(t.best, 'tokensPerStep')} tokens/step${acceptance}. ${verdict(t)}`);
  }
  if (lines.length === 0) return ['No speculating cell has records: nothing to conclude.'];
  lines.push(
    'Tokens/step: generated tokens per target forward, the bonus or recovered token included (incremental decoding: 1). ' +
      'Acceptance: accepted draft tokens / proposed draft tokens (tree nodes). ' +
      "Speedup: the baseline's ms/token ÷ the cell's ms/token (wall time; comparable only within one run on an otherwise idle machine).",
    `Intervals: 95% percentile bootstrap over requests (workload, prompt, seed), ${resamples} resamples; speedups and differences are paired (the same requests under both).`,
  );
  return lines;
}
