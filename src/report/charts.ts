/**
 * Vega-Lite chart specs built from summary rows. Each builder returns the
 * chart's data rows and a spec with those rows inline, or undefined when the
 * rows hold nothing to draw (e.g. no second tree width, no MSS/NS pair).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SummaryRow } from './summary.js';

export interface Chart<D extends object = object> {
  /** File stem under charts/, e.g. 'tokens-per-step'. */
  readonly name: string;
  readonly title: string;
  readonly data: readonly D[];
  /** The spec with `data: { values: data }`. */
  readonly spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
// Vega estimates text widths without a canvas (generously): limits are wide so labels are rarely cut.
const CONFIG = { font: 'DejaVu Sans, sans-serif', axis: { labelLimit: 420 }, legend: { labelLimit: 520, titleLimit: 520 } };

/** A cell's name on axes and legends: its id and its label with key paths shortened to their last part. */
export function cellName(r: SummaryRow): string {
  const label = r.label.replace(/(^|\s)[\w.-]*\.(\w+)=/g, '$1$2=');
  return label ? `${r.cell} ${label}` : r.cell;
}

/**
 * The tree width of a cell from its sweep values: max of an `...expansion`
 * list (<1,1,k,1,...> has width k) or a `...width` number; undefined if none.
 */
export function treeWidth(r: SummaryRow): number | undefined {
  for (const [key, v] of Object.entries(r.params)) {
    const last = key.split('.').pop();
    const nums = v.split(',').map(Number);
    if ((last === 'expansion' || last === 'width') && nums.length > 0 && nums.every(Number.isFinite)) return Math.max(...nums);
  }
  return undefined;
}

function spec<D extends object>(title: string, data: readonly D[], body: Record<string, unknown>): TopLevelSpec {
  return { $schema: SCHEMA, title, config: CONFIG, data: { values: [...data] }, ...body } as TopLevelSpec;
}

function chart<D extends object>(name: string, title: string, data: readonly D[], body: Record<string, unknown>): Chart<D> {
  return { name, title, data, spec: spec(title, data, body) };
}

/** Cells go down the y axis (horizontal bars), so long labels stay readable. */
const cellAxis = { field: 'cell', type: 'nominal', sort: null, title: null };

/** A 95% interval in chart data (NaN bounds: no whisker drawn). */
interface Bounds {
  readonly lo: number;
  readonly hi: number;
}

/** A bar's value axis: starts at zero, so bar lengths compare. */
function barAxis(field: string, title: string): Record<string, unknown> {
  return { field, type: 'quantitative', title, scale: { zero: true } };
}

/**
 * A layer of whiskers from each datum's `lo` to `hi` along `axis` (the
 * value axis, titled as the value's layer), placed by `position`'s encodings.
 */
function errorBars(axis: 'x' | 'y', title: string, position: Record<string, unknown>): Record<string, unknown> {
  return {
    transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi) && isFinite(datum.lo) && isFinite(datum.hi)' }],
    mark: { type: 'errorbar', ticks: true, color: '#222' },
    encoding: { ...position, [axis]: { field: 'lo', type: 'quantitative', title }, [`${axis}2`]: { field: 'hi' } },
  };
}

export interface CellValueDatum extends Bounds {
  readonly cell: string;
  readonly verifier: string;
  readonly value: number;
}

/** Tokens/step of every cell (bars, colored by verifier, with 95% intervals). */
export function tokensPerStepChart(rows: readonly SummaryRow[]): Chart<CellValueDatum> | undefined {
  const data = rows
    .filter((r) => Number.isFinite(r.tokensPerStep))
    .map((r) => ({ cell: cellName(r), verifier: r.baseline ? 'baseline' : r.verifier, value: r.tokensPerStep, ...r.ci.tokensPerStep }));
  if (data.length === 0) return undefined;
  return chart('tokens-per-step', 'Tokens per step (incl. bonus/recovered token), 95% intervals', data, {
    layer: [
      { mark: { type: 'bar', tooltip: true }, encoding: { y: cellAxis, x: barAxis('value', 'tokens / step'), color: { field: 'verifier', type: 'nominal' } } },
      errorBars('x', 'tokens / step', { y: cellAxis }),
    ],
  });
}

export interface WidthDatum extends Bounds {
  readonly series: string;
  readonly width: number;
  readonly tokensPerStep: number;
}

/** Tokens/step vs tree width, one line per verifier (and speculator, temperature, batch size); needs 2+ widths. */
export function widthChart(rows: readonly SummaryRow[]): Chart<WidthDatum> | undefined {
  const data = rows.flatMap((r) => {
    const width = treeWidth(r);
    if (r.baseline || width === undefined || !Number.isFinite(r.tokensPerStep)) return [];
    return [{ series: `${r.verifier} · ${r.speculator} · T=${r.temperature} · batch ${r.batchSize}`, width, tokensPerStep: r.tokensPerStep, ...r.ci.tokensPerStep }];
  });
  if (new Set(data.map((d) => d.width)).size < 2) return undefined;
  const x = { field: 'width', type: 'quantitative', title: 'tree width', axis: { tickMinStep: 1 } };
  const color = { field: 'series', type: 'nominal', title: 'verifier · speculator' };
  return chart('tokens-per-step-vs-width', 'Tokens per step vs tree width, 95% intervals', data, {
    layer: [
      {
        mark: { type: 'line', point: true, tooltip: true },
        encoding: { x, y: { field: 'tokensPerStep', type: 'quantitative', title: 'tokens / step', scale: { zero: false } }, color },
      },
      errorBars('y', 'tokens / step', { x, color }),
    ],
  });
}

export interface SpeedupDatum extends Bounds {
  readonly cell: string;
  readonly batch: string;
  readonly speedup: number;
}

/** Speedup over incremental decoding per cell, colored by batch size, with paired 95% intervals and a rule at 1. */
export function speedupChart(rows: readonly SummaryRow[]): Chart<SpeedupDatum> | undefined {
  const data = rows
    .filter((r) => !r.baseline && Number.isFinite(r.speedup))
    .map((r) => ({ cell: cellName(r), batch: `batch ${r.batchSize}`, speedup: r.speedup, ...r.ci.speedup }));
  if (data.length === 0) return undefined;
  return chart('speedup', 'Speedup vs incremental decoding (baseline ms/token ÷ ms/token), paired 95% intervals', data, {
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: { y: cellAxis, x: barAxis('speedup', 'speedup'), color: { field: 'batch', type: 'nominal', title: 'batch size' } },
      },
      errorBars('x', 'speedup', { y: cellAxis }),
      { mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
    ],
  });
}

export interface DepthDatum {
  readonly cell: string;
  readonly depth: number;
  readonly acceptance: number;
}

/** Per-depth acceptance curves, one line per speculating cell. */
export function perDepthChart(rows: readonly SummaryRow[]): Chart<DepthDatum> | undefined {
  const data = rows
    .filter((r) => !r.baseline)
    .flatMap((r) => r.perDepthAcceptance.map((acceptance, i) => ({ cell: cellName(r), depth: i + 1, acceptance })))
    .filter((d) => Number.isFinite(d.acceptance));
  if (data.length === 0) return undefined;
  return chart('per-depth-acceptance', 'Acceptance by tree depth (paths reaching depth d / trees of depth ≥ d)', data, {
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'depth', type: 'quantitative', title: 'depth', axis: { tickMinStep: 1 } },
      y: { field: 'acceptance', type: 'quantitative', title: 'acceptance', scale: { domain: [0, 1] } },
      color: { field: 'cell', type: 'nominal', sort: null },
    },
  });
}

export interface PhaseDatum {
  readonly cell: string;
  readonly phase: string;
  readonly order: number;
  readonly msPerToken: number;
  readonly share: number;
}

const PHASES = [
  ['propose', (r: SummaryRow) => r.proposeShare],
  ['score', (r: SummaryRow) => r.scoreShare],
  ['verify', (r: SummaryRow) => r.verifyShare],
  ['commit', (r: SummaryRow) => r.commitShare],
] as const;

/** Milliseconds per token split into propose / score / verify / commit, stacked per cell. */
export function timeBreakdownChart(rows: readonly SummaryRow[]): Chart<PhaseDatum> | undefined {
  const data = rows
    .filter((r) => Number.isFinite(r.msPerToken))
    .flatMap((r) => PHASES.map(([phase, share], order) => ({ cell: cellName(r), phase, order, share: share(r), msPerToken: share(r) * r.msPerToken })));
  if (data.length === 0) return undefined;
  return chart('time-breakdown', 'Time per token by phase', data, {
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: cellAxis,
      x: { ...barAxis('msPerToken', 'ms / token'), stack: 'zero' },
      color: { field: 'phase', type: 'nominal', sort: PHASES.map(([p]) => p) },
      order: { field: 'order', type: 'quantitative' },
    },
  });
}

export interface VerifierDatum extends Bounds {
  readonly setting: string;
  readonly verifier: string;
  readonly tokensPerStep: number;
}

/** The cell's setting apart from the verifier: its sweep values without verifier keys. */
function settingWithoutVerifier(r: SummaryRow): string {
  const rest = Object.entries(r.params).filter(([k]) => !k.split('.').includes('verifier'));
  const text = rest.map(([k, v]) => `${k.split('.').pop()}=${v}`).join(' ');
  return `${r.speculator} ${r.policy} T=${r.temperature} batch ${r.batchSize}${text ? ` ${text}` : ''}`;
}

/** MSS vs NS tokens/step for each setting run with both verifiers (SpecInfer Table 3). */
export function mssVsNsChart(rows: readonly SummaryRow[]): Chart<VerifierDatum> | undefined {
  const all = rows
    .filter((r) => (r.verifier === 'mss' || r.verifier === 'ns') && Number.isFinite(r.tokensPerStep))
    .map((r) => ({ setting: settingWithoutVerifier(r), verifier: r.verifier, tokensPerStep: r.tokensPerStep, ...r.ci.tokensPerStep }));
  const paired = (s: string) => new Set(all.filter((d) => d.setting === s).map((d) => d.verifier)).size === 2;
  const data = all.filter((d) => paired(d.setting));
  if (data.length === 0) return undefined;
  const position = { y: { field: 'setting', type: 'nominal', sort: null, title: null }, yOffset: { field: 'verifier', type: 'nominal' } };
  return chart('mss-vs-ns', 'Multi-step speculative sampling (MSS) vs naive sampling (NS), 95% intervals', data, {
    layer: [
      { mark: { type: 'bar', tooltip: true }, encoding: { ...position, x: barAxis('tokensPerStep', 'tokens / step'), color: { field: 'verifier', type: 'nominal' } } },
      errorBars('x', 'tokens / step', position),
    ],
  });
}

/** Every chart the rows support, in report order. */
export function reportCharts(rows: readonly SummaryRow[]): Chart[] {
  const builders = [tokensPerStepChart, widthChart, speedupChart, perDepthChart, timeBreakdownChart, mssVsNsChart];
  return builders.map((b) => b(rows)).filter((c): c is NonNullable<typeof c> => c !== undefined);
}
