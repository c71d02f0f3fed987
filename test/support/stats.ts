/**
 * Statistics for the verifiers' distribution tests: the chi-square survival
 * function (regularized upper incomplete gamma, Numerical Recipes' gser/gcf)
 * and a goodness-of-fit test that pools sparse cells.
 */

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
export function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a). */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || x < 0) throw new RangeError(`gammaQ needs a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQFraction(a, x);
}

/** P(a, x) by its series (converges fast for x < a + 1). */
function gammaPSeries(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let sum = del;
  for (let n = 0; n < 1000; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * 1e-16) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

/** Q(a, x) by its continued fraction (modified Lentz; for x >= a + 1). */
function gammaQFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** P(X >= chi2) for X ~ chi-square with df degrees of freedom. */
export function chiSquareSurvival(chi2: number, df: number): number {
  return gammaQ(df / 2, chi2 / 2);
}

export interface ChiSquareResult {
  readonly stat: number;
  readonly df: number;
  readonly pValue: number;
  readonly cells: number; // after pooling
  readonly trials: number;
  /** Observed outcomes the model gives probability 0 (any makes pValue 0). */
  readonly impossible: number;
}

/**
 * Pearson's goodness-of-fit test of `observed` counts against the exact
 * probabilities `probs` (keys = outcomes). Cells whose expected count is
 * below `minExpected` are pooled into one cell (together with the next
 * smallest cells until the pool reaches `minExpected`).
 */
export function chiSquareTest<K>(observed: ReadonlyMap<K, number>, probs: ReadonlyMap<K, number>, minExpected = 5): ChiSquareResult {
  let trials = 0;
  let impossible = 0;
  for (const [k, n] of observed) {
    trials += n;
    if (!((probs.get(k) ?? 0) > 0)) impossible += n;
  }
  const cells = [...probs].filter(([, p]) => p > 0).map(([k, p]) => ({ e: p * trials, o: observed.get(k) ?? 0 }));
  cells.sort((a, b) => a.e - b.e);
  const pooled: { e: number; o: number }[] = [];
  let pool = { e: 0, o: 0 };
  for (const c of cells) {
    if (pool.e < minExpected) pool = { e: pool.e + c.e, o: pool.o + c.o };
    else pooled.push(c);
  }
  if (pool.e > 0) pooled.push(pool);
  let stat = 0;
  for (const c of pooled) stat += ((c.o - c.e) * (c.o - c.e)) / c.e;
  const df = Math.max(1, pooled.length - 1);
  const pValue = impossible > 0 ? 0 : chiSquareSurvival(stat, df);
  return { stat, df, pValue, cells: pooled.length, trials, impossible };
}

/** Increments counts[key]. */
export function tally<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** A short text of a result, for assertion messages and logs. */
export function describeChi(r: ChiSquareResult): string {
  return `chi2 ${r.stat.toFixed(2)}, df ${r.df}, p ${r.pValue.toExponential(3)}, ${r.trials} trials, ${r.cells} cells, ${r.impossible} impossible`;
}
