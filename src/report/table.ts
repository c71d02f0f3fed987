/**
 * Summary rows as a table of named columns: the one layout behind
 * summary.csv, summary-by-workload.csv and the HTML report's tables.
 */
import { maxDepth, type SummaryRow } from './summary.js';
import type { IntervalMetric } from './units.js';

export type CellValue = string | number | boolean;

export interface Table {
  /** File stem and HTML id, e.g. 'summary'. */
  readonly name: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly CellValue[])[];
}

interface Column {
  readonly name: string;
  readonly value: (r: SummaryRow) => CellValue;
}

const IDENTITY: readonly Column[] = [
  { name: 'cell', value: (r) => r.cell },
  { name: 'label', value: (r) => r.label },
];

/** A metric's column and its 95% interval's bounds (`NAME_lo`, `NAME_hi`). */
function withInterval(name: string, metric: IntervalMetric): Column[] {
  return [
    { name, value: (r) => r[metric] },
    { name: `${name}_lo`, value: (r) => r.ci[metric].lo },
    { name: `${name}_hi`, value: (r) => r.ci[metric].hi },
  ];
}

const HEADLINE: readonly Column[] = [
  ...withInterval('tokens_per_step', 'tokensPerStep'),
  ...withInterval('acceptance', 'acceptance'),
  ...withInterval('speedup', 'speedup'),
  ...withInterval('ms_per_token', 'msPerToken'),
  { name: 'ms_per_token_p50', value: (r) => r.p50MsPerToken },
  { name: 'ms_per_token_p90', value: (r) => r.p90MsPerToken },
  { name: 'tokens_per_s', value: (r) => r.tokensPerSecond },
  { name: 'bonus_share', value: (r) => r.bonusShare },
];

const TIMES: readonly Column[] = [
  { name: 'propose_share', value: (r) => r.proposeShare },
  { name: 'score_share', value: (r) => r.scoreShare },
  { name: 'verify_share', value: (r) => r.verifyShare },
  { name: 'commit_share', value: (r) => r.commitShare },
  { name: 'p50_step_ms', value: (r) => r.p50StepMs },
  { name: 'p90_step_ms', value: (r) => r.p90StepMs },
];

const COUNTS: readonly Column[] = [
  { name: 'requests', value: (r) => r.requests },
  { name: 'n', value: (r) => r.n },
  { name: 'steps', value: (r) => r.steps },
  { name: 'tokens', value: (r) => r.tokens },
  { name: 'proposed', value: (r) => r.proposed },
  { name: 'accepted', value: (r) => r.accepted },
  { name: 'draft_rows', value: (r) => r.draftRows },
  { name: 'draft_reused', value: (r) => r.draftReused },
  { name: 'stops_eos', value: (r) => r.stops.eos },
  { name: 'stops_max_tokens', value: (r) => r.stops['max-tokens'] },
  { name: 'stops_context', value: (r) => r.stops.context },
];

const SETTINGS: readonly Column[] = [
  { name: 'baseline', value: (r) => r.baseline },
  { name: 'target', value: (r) => r.target },
  { name: 'speculator', value: (r) => r.speculator },
  { name: 'policy', value: (r) => r.policy },
  { name: 'verifier', value: (r) => r.verifier },
  { name: 'batch_size', value: (r) => r.batchSize },
  { name: 'temperature', value: (r) => r.temperature },
  { name: 'baseline_cell', value: (r) => r.baselineCell },
  { name: 'lossless', value: (r) => r.lossless },
];

/** Sweep keys of the rows, in order of first appearance. */
function paramKeys(rows: readonly SummaryRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
}

/**
 * Columns: cell, label, [workload]; tokens_per_step, acceptance, speedup,
 * ms_per_token, each followed by its 95% interval's _lo and _hi;
 * tokens_per_s, bonus_share; acc_d1..acc_dK (K = the deepest
 * tree); shares of step time and step-latency percentiles; counts (n: the
 * bootstrap units, = requests); settings
 * (kinds, batch size, temperature, baseline_cell, lossless); param.<key> per sweep key.
 * A value that does not apply (e.g. acceptance of a baseline) is NaN.
 */
function columns(rows: readonly SummaryRow[], byWorkload: boolean): Column[] {
  const workload: Column[] = byWorkload ? [{ name: 'workload', value: (r) => r.workload }] : [];
  const params = paramKeys(rows).map((k): Column => ({ name: `param.${k}`, value: (r) => r.params[k] ?? '' }));
  const depths = Array.from({ length: maxDepth(rows) }, (_, i): Column => ({ name: `acc_d${i + 1}`, value: (r) => r.perDepthAcceptance[i] ?? NaN }));
  return [...IDENTITY, ...workload, ...HEADLINE, ...depths, ...TIMES, ...COUNTS, ...SETTINGS, ...params];
}

export function summaryTable(rows: readonly SummaryRow[], opts: { name: string; title: string; byWorkload: boolean }): Table {
  const cols = columns(rows, opts.byWorkload);
  return { name: opts.name, title: opts.title, columns: cols.map((c) => c.name), rows: rows.map((r) => cols.map((c) => c.value(r))) };
}

/** A value as text: '' for NaN/infinite, integers as is, other numbers to `digits` significant digits. */
export function formatValue(v: CellValue, digits = 6): string {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return '';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits)));
}

/** RFC 4180 field quoting: quote fields with a comma, quote or line break; double inner quotes. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The table as CSV text (header line, one line per row, '\n' line ends). */
export function toCsv(t: Table): string {
  const line = (cells: readonly string[]) => cells.map(csvField).join(',');
  return [line(t.columns), ...t.rows.map((r) => line(r.map((v) => formatValue(v))))].join('\n') + '\n';
}
