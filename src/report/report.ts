/**
 * The report of a run: summary tables (CSV), charts (Vega-Lite spec + data,
 * SVG, PNG) and one self-contained report.html, all from cells and their step
 * records. `specinfer report DIR` and notebooks re-render from a results
 * folder (readRunDir).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { CellInfo, CellRecord, OutputRecord } from '../harness/cell.js';
import { reportCharts, type Chart } from './charts.js';
import { conclusion, conclusionLines } from './conclusion.js';
import { reportHtml, type ChartFigure, type ReportMeta } from './html.js';
import { chartSvg, svgToPng } from './render.js';
import { bootstrapOptions, type BootstrapOptions } from './intervals.js';
import { summaryRows, summaryRowsByWorkload, unitsByCell, type SummaryRow } from './summary.js';
import { summaryTable, toCsv, type Table } from './table.js';
import { shownContent } from './untimed.js';

export { readRunDir } from './run-dir.js';
export type { ReportMeta } from './html.js';

interface RenderedChart {
  readonly chart: Chart;
  readonly svg: string;
}

/** Everything the report shows, before it is written anywhere. */
export interface ReportContent {
  readonly rows: readonly SummaryRow[];
  readonly rowsByWorkload: readonly SummaryRow[];
  /** [per-cell table 'summary', per cell x workload table 'summary-by-workload']. */
  readonly tables: readonly Table[];
  readonly charts: readonly RenderedChart[];
  /** The report's opening sentences (see conclusion.ts). */
  readonly conclusion: readonly string[];
}

/** Summary tables of a run: 'summary' (one row per cell) and 'summary-by-workload'. */
function reportTables(rows: readonly SummaryRow[], rowsByWorkload: readonly SummaryRow[]): Table[] {
  return [
    summaryTable(rows, { name: 'summary', title: 'Summary by cell', byWorkload: false }),
    summaryTable(rowsByWorkload, { name: 'summary-by-workload', title: 'Summary by cell and workload', byWorkload: true }),
  ];
}

/** Renders charts to SVG, in order. */
async function renderCharts(charts: readonly Chart[]): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const chart of charts) out.push({ chart, svg: await chartSvg(chart.spec) });
  return out;
}

/** Tables, rendered charts and the conclusion of a run; `bootstrap` draws every interval (same options, same report). */
export async function reportContent(
  cells: readonly CellInfo[],
  records: readonly CellRecord[],
  outputs: readonly OutputRecord[] = [],
  bootstrap: BootstrapOptions = bootstrapOptions(),
): Promise<ReportContent> {
  const rows = summaryRows(cells, records, outputs, bootstrap);
  const rowsByWorkload = summaryRowsByWorkload(cells, records, bootstrap);
  const found = conclusion(rows, unitsByCell(cells, records), bootstrap);
  const charts = await renderCharts(reportCharts(rows));
  return { rows, rowsByWorkload, tables: reportTables(rows, rowsByWorkload), charts, conclusion: conclusionLines(found, bootstrap.resamples) };
}

/** The report page of rendered content. */
export function contentHtml(content: ReportContent, meta?: ReportMeta, generated?: string): string {
  const charts: ChartFigure[] = content.charts.map((c) => ({ name: c.chart.name, title: c.chart.title, svg: c.svg }));
  const lossless = content.rows.filter((r) => r.lossless !== '').map((r) => `${r.cell} (${r.label}): ${r.lossless}`);
  return reportHtml({ meta, tables: content.tables, charts, generated, lossless, conclusion: content.conclusion });
}

const CHART_FILE = /\.(svg|png|vl\.json|data\.json)$/;

/** charts/NAME.data.json (the rows), NAME.vl.json (the spec, reading NAME.data.json), NAME.svg, NAME.png. */
function writeCharts(chartsDir: string, charts: readonly RenderedChart[]): void {
  mkdirSync(chartsDir, { recursive: true });
  for (const f of readdirSync(chartsDir)) if (CHART_FILE.test(f)) rmSync(path.join(chartsDir, f));
  for (const { chart, svg } of charts) {
    const dataFile = `${chart.name}.data.json`;
    const spec = { ...chart.spec, data: { url: dataFile, format: { type: 'json' } } } as TopLevelSpec;
    writeFileSync(path.join(chartsDir, dataFile), JSON.stringify(chart.data, null, 1) + '\n');
    writeFileSync(path.join(chartsDir, `${chart.name}.vl.json`), JSON.stringify(spec, null, 2) + '\n');
    writeFileSync(path.join(chartsDir, `${chart.name}.svg`), svg);
    writeFileSync(path.join(chartsDir, `${chart.name}.png`), svgToPng(svg));
  }
}

/**
 * Writes DIR/summary.csv, DIR/summary-by-workload.csv, DIR/charts/* (files
 * of charts no longer drawn are removed) and DIR/report.html, without
 * timings when `meta.timed` is false (see untimed.ts). Leaves cells.json and
 * steps.jsonl alone.
 */
export async function writeReport(
  dir: string,
  cells: readonly CellInfo[],
  records: readonly CellRecord[],
  meta?: ReportMeta,
  outputs: readonly OutputRecord[] = [],
): Promise<void> {
  const content = shownContent(await reportContent(cells, records, outputs), meta?.timed !== false);
  mkdirSync(dir, { recursive: true });
  for (const t of content.tables) writeFileSync(path.join(dir, `${t.name}.csv`), toCsv(t));
  writeCharts(path.join(dir, 'charts'), content.charts);
  writeFileSync(path.join(dir, 'report.html'), contentHtml(content, meta, new Date().toISOString()));
}
