/**
 * What a notebook shows of a results folder, as plain data: table HTML and
 * chart SVG ready for display, plus the typed summary rows for further
 * analysis. Notebooks (tslab) load this module with a dynamic import of
 * dist/src/report/notebook.js; they cannot type-import src/ (tslab only
 * compiles files under the notebook's folder), so they declare the part of
 * NotebookView they use; keep this shape stable.
 */
import { type Chart } from './charts.js';
import { tableHtml } from './html.js';
import { contentHtml, reportContent } from './report.js';
import { readRunDir } from './run-dir.js';
import type { SummaryRow } from './summary.js';
import { toCsv } from './table.js';
import { shownContent } from './untimed.js';

export interface NotebookTable {
  readonly name: string;
  readonly title: string;
  readonly html: string;
  readonly csv: string;
}

export interface NotebookChart {
  readonly name: string;
  readonly title: string;
  readonly svg: string;
  /** The Vega-Lite spec (data inline), e.g. to restyle and render again with `renderSpec`. */
  readonly spec: Chart['spec'];
}

export interface NotebookView {
  readonly dir: string;
  readonly title: string;
  /** Config name and environment lines from meta.json, as 'key: value'. */
  readonly about: readonly string[];
  readonly cells: number;
  readonly records: number;
  readonly rows: readonly SummaryRow[];
  readonly rowsByWorkload: readonly SummaryRow[];
  /** 'summary' then 'summary-by-workload'. */
  readonly tables: readonly NotebookTable[];
  readonly charts: readonly NotebookChart[];
  /** The whole report page (as report.html), for one-shot display. */
  readonly html: string;
}

/** Reads a results folder (cells.json + steps.jsonl [+ meta.json]) and renders its tables and charts. */
export async function loadNotebookView(dir: string): Promise<NotebookView> {
  const run = readRunDir(dir);
  const content = shownContent(await reportContent(run.cells, run.records, run.outputs), run.meta?.timed !== false);
  const about = [...(run.meta?.config ? [`config: ${run.meta.config}`] : []), ...Object.entries(run.meta?.env ?? {}).map(([k, v]) => `${k}: ${v}`)];
  return {
    dir,
    title: run.meta?.title ?? dir,
    about,
    cells: run.cells.length,
    records: run.records.length,
    rows: content.rows,
    rowsByWorkload: content.rowsByWorkload,
    tables: content.tables.map((t) => ({ name: t.name, title: t.title, html: tableHtml(t), csv: toCsv(t) })),
    charts: content.charts.map((c) => ({ name: c.chart.name, title: c.chart.title, svg: c.svg, spec: c.chart.spec })),
    html: contentHtml(content, run.meta),
  };
}

export { chartSvg as renderSpec } from './render.js';
