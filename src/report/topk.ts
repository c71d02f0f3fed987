/**
 * The report of a topk-agreement run (SpecInfer Table 1): from the per-request
 * counts (topk.jsonl, src/harness/topk.ts), the share of positions whose
 * target token is among the draft's top k, k = 1..maxK, per cell and per
 * cell x workload; summary.csv, charts/topk-agreement.* and report.html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { CellInfo } from '../harness/cell.js';
import { groupRows } from './frame.js';
import { reportHtml, type ReportMeta } from './html.js';
import { chartSvg, svgToPng } from './render.js';
import { toCsv, type Table } from './table.js';

/** What topk.jsonl holds per request. */
export interface TopkCounts {
  readonly cell: string;
  readonly workload: string;
  readonly positions: number;
  /** hits[k - 1]: positions whose target token is among the draft's top k. */
  readonly hits: readonly number[];
}

interface TopkRow {
  readonly cell: string;
  readonly label: string;
  /** A workload, or '*' for all of the cell's. */
  readonly workload: string;
  readonly temperature: number;
  readonly requests: number;
  readonly positions: number;
  /** share[k - 1] = hits / positions. */
  readonly share: readonly number[];
}

/** Rows per cell ('*') and per cell x workload, in cell order. */
function topkRows(cells: readonly CellInfo[], records: readonly TopkCounts[]): TopkRow[] {
  const byCell = groupRows(records, (r) => r.cell);
  return cells.flatMap((c) => {
    const rs = byCell.get(c.id) ?? [];
    const workloads = [...groupRows(rs, (r) => r.workload).entries()];
    const rows = [row(c, '*', rs)];
    if (workloads.length > 1) rows.push(...workloads.map(([w, g]) => row(c, w, g)));
    return rows;
  });
}

function row(c: CellInfo, workload: string, rs: readonly TopkCounts[]): TopkRow {
  const positions = rs.reduce((s, r) => s + r.positions, 0);
  const maxK = rs.reduce((m, r) => Math.max(m, r.hits.length), 0);
  const share = Array.from({ length: maxK }, (_, k) => (positions > 0 ? rs.reduce((s, r) => s + (r.hits[k] ?? 0), 0) / positions : NaN));
  return { cell: c.id, label: c.label, workload, temperature: c.temperature, requests: rs.length, positions, share };
}

function topkTable(rows: readonly TopkRow[]): Table {
  const maxK = rows.reduce((m, r) => Math.max(m, r.share.length), 0);
  const ks = Array.from({ length: maxK }, (_, i) => `top${i + 1}`);
  return {
    name: 'summary',
    title: "Share of positions where the target's token is in the draft's top-k",
    columns: ['cell', 'label', 'workload', 'temperature', 'requests', 'positions', ...ks],
    rows: rows.map((r) => [r.cell, r.label, r.workload, r.temperature, r.requests, r.positions, ...ks.map((_, i) => r.share[i] ?? NaN)]),
  };
}

/** A cell's name in the chart: its id and label, key paths shortened to their last part. */
function cellTitle(r: TopkRow): string {
  const label = r.label.replace(/(^|\s)[\w.-]*\.(\w+)=/g, '$1$2=');
  return label ? `${r.cell} ${label}` : r.cell;
}

/** Share vs k: one panel per cell, one line per workload (or the cell's only one). */
function topkChart(rows: readonly TopkRow[]): { data: object[]; spec: TopLevelSpec } {
  const split = new Set(rows.filter((r) => r.workload !== '*').map((r) => r.cell));
  const data = rows
    .filter((r) => (split.has(r.cell) ? r.workload !== '*' : true))
    .flatMap((r) => r.share.map((share, i) => ({ cell: cellTitle(r), workload: r.workload === '*' ? 'all' : r.workload, k: i + 1, share })));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: "Target token in the draft's top-k",
    config: { font: 'DejaVu Sans, sans-serif', legend: { labelLimit: 520 }, header: { labelLimit: 420 } },
    data: { values: data },
    facet: { field: 'cell', type: 'nominal', title: null, sort: null },
    columns: 2,
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', point: true, tooltip: true },
      encoding: {
        x: { field: 'k', type: 'ordinal', title: 'k', axis: { labelAngle: 0 } },
        y: { field: 'share', type: 'quantitative', title: 'share of positions', scale: { domain: [0, 1] } },
        color: { field: 'workload', type: 'nominal', title: 'workload', sort: null },
      },
    },
  } as TopLevelSpec;
  return { data, spec };
}

/** Writes DIR/summary.csv, DIR/charts/topk-agreement.{data.json,vl.json,svg,png} and DIR/report.html. */
export async function writeTopkReport(dir: string, cells: readonly CellInfo[], records: readonly TopkCounts[], meta?: ReportMeta): Promise<void> {
  const rows = topkRows(cells, records);
  const table = topkTable(rows);
  mkdirSync(path.join(dir, 'charts'), { recursive: true });
  writeFileSync(path.join(dir, 'summary.csv'), toCsv(table));
  const { data, spec } = topkChart(rows);
  const svg = await chartSvg(spec);
  const name = 'topk-agreement';
  writeFileSync(path.join(dir, 'charts', `${name}.data.json`), JSON.stringify(data, null, 1) + '\n');
  writeFileSync(path.join(dir, 'charts', `${name}.vl.json`), JSON.stringify({ ...spec, data: { url: `${name}.data.json`, format: { type: 'json' } } }, null, 2) + '\n');
  writeFileSync(path.join(dir, 'charts', `${name}.svg`), svg);
  writeFileSync(path.join(dir, 'charts', `${name}.png`), svgToPng(svg));
  const html = reportHtml({ meta, tables: [table], charts: [{ name, title: "Target token in the draft's top-k", svg }], generated: new Date().toISOString() });
  writeFileSync(path.join(dir, 'report.html'), html);
}
