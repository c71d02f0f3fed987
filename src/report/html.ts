/**
 * The HTML report: one self-contained page (inline CSS, tables, inline SVG
 * charts; no scripts, no external resources) viewable offline.
 */
import { formatValue, type Table } from './table.js';

/** What the report says about the run besides its records. */
export interface ReportMeta {
  /** The experiment config's name or path. */
  readonly config?: string;
  /** Environment facts (machine, versions, threads, ...), shown as a list. */
  readonly env?: Readonly<Record<string, string>>;
  /** Page title; default 'specinfer report'. */
  readonly title?: string;
  /** Whether the records' times measure the run (false: replay; the page says so and shows no timings). */
  readonly timed?: boolean;
  /** The config text the run was made from (config.resolved.yaml), shown at the end of the page. */
  readonly configYaml?: string;
}

/** A rendered chart for the page. */
export interface ChartFigure {
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

export interface ReportDocument {
  readonly meta?: ReportMeta;
  readonly tables: readonly Table[];
  readonly charts: readonly ChartFigure[];
  /** When the report was rendered (ISO text); omitted from the page when absent. */
  readonly generated?: string;
  /** One line per greedy cell: whether its outputs equal its baseline's (none: no section). */
  readonly lossless?: readonly string[];
  /** The opening conclusion, one paragraph per line (none: no section). */
  readonly conclusion?: readonly string[];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A table as HTML (id `table-NAME`), numbers to `digits` significant digits, empty cells for NaN. */
export function tableHtml(t: Table, digits = 4): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td${typeof v === 'number' ? ' class="num"' : ''}>${escapeHtml(formatValue(v, digits))}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table id="table-${escapeHtml(t.name)}">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

/** Prefixes the ids an SVG defines and references, so several SVGs can share one page. */
function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/** A chart as a figure (id `chart-NAME`) with its SVG inline (the SVG draws the title). */
function chartHtml(c: ChartFigure): string {
  const svg = scopeSvgIds(c.svg.replace(/^<\?xml[^>]*>\s*/, ''), `chart-${c.name}`);
  return `<figure id="chart-${escapeHtml(c.name)}" aria-label="${escapeHtml(c.title)}">\n${svg}\n</figure>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.8em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; white-space: nowrap; }
th { background: #f0f0f0; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; font-size: 0.9em; }
dt { font-weight: bold; }
td:first-child, th:first-child { position: sticky; left: 0; background: #fff; }
th:first-child { background: #f0f0f0; z-index: 1; }
figure svg { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f7f7; padding: 0.8em; font-size: 0.8em; }
.note { background: #fff8e0; padding: 0.5em 0.8em; }
`;

function metaHtml(doc: ReportDocument): string {
  const items: [string, string][] = [];
  if (doc.meta?.config) items.push(['config', doc.meta.config]);
  for (const [k, v] of Object.entries(doc.meta?.env ?? {})) items.push([k, v]);
  if (doc.generated) items.push(['generated', doc.generated]);
  if (items.length === 0) return '';
  return `<dl>\n${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}\n</dl>`;
}

/** The whole page. */
export function reportHtml(doc: ReportDocument): string {
  const title = doc.meta?.title ?? 'specinfer report';
  const tables = doc.tables.map((t) => `<section>\n<h2>${escapeHtml(t.title)}</h2>\n${tableHtml(t)}\n</section>`);
  const lossless = doc.lossless?.length
    ? [`<section id="lossless">\n<h2>Outputs equal to the baseline's (greedy)</h2>\n<ul>\n${doc.lossless.map((l) => `<li>${escapeHtml(l)}</li>`).join('\n')}\n</ul>\n</section>`]
    : [];
  const charts = doc.charts.length > 0 ? [`<section>\n<h2>Charts</h2>\n${doc.charts.map(chartHtml).join('\n')}\n</section>`] : [];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>`,
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    ...(doc.conclusion?.length ? [`<section id="conclusion">\n<h2>Conclusion</h2>\n${doc.conclusion.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}\n</section>`] : []),
    metaHtml(doc),
    untimedHtml(doc.meta),
    ...tables,
    ...lossless,
    ...charts,
    configHtml(doc.meta),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A note that nothing was timed ('' for timed runs). */
function untimedHtml(meta?: ReportMeta): string {
  if (meta?.timed !== false) return '';
  return '<p id="untimed" class="note">Nothing in this run was timed (a replay against a recorded target trace): the report shows no ms/token, speedup or latency.</p>';
}

/** The config text as a section ('' without one). */
function configHtml(meta?: ReportMeta): string {
  if (meta?.configYaml === undefined) return '';
  return `<section id="config">\n<h2>Config</h2>\n<pre>${escapeHtml(meta.configYaml)}</pre>\n</section>`;
}
