/**
 * What a report of an untimed run (replay: the target did not run) leaves
 * out: every column and chart made from times (ms/token, tokens/s,
 * speedup, phase shares, step latencies, and their interval bounds).
 */
import type { ReportContent } from './report.js';
import type { Table } from './table.js';

/** Columns made from times: these names, or these names followed by '_' and a suffix (e.g. speedup_lo). */
const TIMED_COLUMN = /^(ms_per_token|tokens_per_s|speedup|propose_share|score_share|verify_share|commit_share|p\d+_step_ms)(_.*)?$/;

/** Charts made from times. */
const TIMED_CHARTS: ReadonlySet<string> = new Set(['speedup', 'time-breakdown']);

export function isTimedColumn(name: string): boolean {
  return TIMED_COLUMN.test(name);
}

/** The table without its timed columns. */
function untimedTable(t: Table): Table {
  const keep = t.columns.map((c) => !isTimedColumn(c));
  return { ...t, columns: t.columns.filter((_, i) => keep[i]), rows: t.rows.map((r) => r.filter((_, i) => keep[i])) };
}

/** The content as the report shows it: unchanged when `timed`, else without timed columns and charts. */
export function shownContent(content: ReportContent, timed: boolean): ReportContent {
  if (timed) return content;
  return { ...content, tables: content.tables.map(untimedTable), charts: content.charts.filter((c) => !TIMED_CHARTS.has(c.chart.name)) };
}
