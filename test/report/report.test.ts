import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { reportCharts } from '../../src/report/charts.js';
import { ReportError } from '../../src/report/errors.js';
import { chartSvg } from '../../src/report/render.js';
import { readRunDir, writeReport } from '../../src/report/report.js';
import { summaryRows } from '../../src/report/summary.js';
import { summaryTable, toCsv } from '../../src/report/table.js';
import { isTimedColumn } from '../../src/report/untimed.js';
import { CELLS, RECORDS } from './hand.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';
const FIXTURE = 'test/fixtures/run-small';
const CHARTS = ['tokens-per-step', 'tokens-per-step-vs-width', 'speedup', 'per-depth-acceptance', 'time-breakdown', 'mss-vs-ns'];

describe('report: results folder and report.html', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-report-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('readRunDir loads the fixture: cells, records and meta', () => {
    const r = readRunDir(FIXTURE);
    expect(r.cells.map((c) => c.id)).to.include.members(['baseline-stories260K', 'c000', 'c003', 'c004']);
    expect(r.records.length).to.be.above(100);
    expect(new Set(r.records.map((x) => x.workload))).to.deep.equal(new Set(['story-openings', 'repetitive']));
    expect(r.meta?.title).to.be.a('string');
  });

  it('writeReport writes both CSVs, every chart (spec, data, SVG, PNG) and a self-contained report.html', async function () {
    this.timeout(60000);
    const r = readRunDir(FIXTURE);
    const dir = path.join(tmp, 'written');
    await writeReport(dir, r.cells, r.records, { config: 'experiments/x.yaml', env: { node: 'v20' } });
    const summary = readFileSync(path.join(dir, 'summary.csv'), 'utf8').trimEnd().split('\n');
    expect(summary).to.have.length(r.cells.length + 1);
    expect(readFileSync(path.join(dir, 'summary-by-workload.csv'), 'utf8').split('\n')[0]).to.match(/^cell,label,workload,/);
    for (const name of CHARTS) {
      for (const ext of ['vl.json', 'data.json', 'svg', 'png']) {
        const f = path.join(dir, 'charts', `${name}.${ext}`);
        expect(existsSync(f), f).to.equal(true);
        expect(statSync(f).size, f).to.be.above(100);
      }
    }
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).to.contain('id="table-summary"').and.contain('id="table-summary-by-workload"');
    for (const name of CHARTS) expect(html, name).to.contain(`<figure id="chart-${name}"`);
    expect(html.match(/<svg\b/g)).to.have.length(CHARTS.length);
    for (const c of r.cells) expect(html, c.id).to.contain(`<td>${c.id}</td>`);
    expect(html).to.contain('experiments/x.yaml');
    const opening = html.indexOf('<section id="conclusion">');
    expect(opening, 'the conclusion opens the page, before the tables').to.be.above(html.indexOf('<h1>')).and.below(html.indexOf('id="table-summary"'));
    expect(html)
      .to.match(/<p>Fastest: \S+.*speedup [\d.]+ \[[\d.]+, [\d.]+\]/)
      .and.contain('Acceptance: accepted draft tokens / proposed draft tokens');
    expect(html, 'no scripts, stylesheets, images or links to fetch').to.not.match(/<script|<link|<img|<iframe|\bsrc=|href="https?:/i);
  });

  it('an untimed run (replay) is reported without timing columns and charts, and says so', async function () {
    this.timeout(60000);
    const r = readRunDir(FIXTURE);
    const dir = path.join(tmp, 'untimed');
    await writeReport(dir, r.cells, r.records, { title: 'replayed', timed: false });
    const header = readFileSync(path.join(dir, 'summary.csv'), 'utf8').split('\n')[0].split(',');
    expect(header).to.include.members(['tokens_per_step', 'acceptance', 'acc_d1', 'steps']);
    for (const timed of ['speedup', 'ms_per_token', 'tokens_per_s', 'propose_share', 'commit_share', 'p50_step_ms', 'p90_step_ms']) expect(header).to.not.include(timed);
    const charts = new Set(readdirSync(path.join(dir, 'charts')).map((f) => f.split('.')[0]));
    expect([...charts].sort()).to.deep.equal(['mss-vs-ns', 'per-depth-acceptance', 'tokens-per-step', 'tokens-per-step-vs-width']);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).to.contain('id="untimed"').and.not.contain('<th>speedup</th>').and.not.contain('chart-time-breakdown');
    expect(isTimedColumn('speedup_lo') && isTimedColumn('ms_per_token_hi') && !isTimedColumn('tokens_per_step_lo')).to.equal(true);
  });

  it('the config text of the folder (config.resolved.yaml) is shown, escaped; meta.json timed is read', async function () {
    this.timeout(60000);
    const dir = path.join(tmp, 'with-config');
    cpSync(FIXTURE, dir, { recursive: true });
    writeFileSync(path.join(dir, 'config.resolved.yaml'), 'name: x\ndescription: "a <b> & c"\n');
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as object;
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ ...meta, timed: true }));
    const r = readRunDir(dir);
    expect(r.meta).to.deep.include({ timed: true, configYaml: 'name: x\ndescription: "a <b> & c"\n' });
    await writeReport(dir, r.cells, r.records, r.meta);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).to.contain('<section id="config">\n<h2>Config</h2>\n<pre>name: x\ndescription: &quot;a &lt;b&gt; &amp; c&quot;\n</pre>');
    expect(html).to.not.contain('id="untimed"');
  });

  it('a saved chart spec renders from its data file next to it', async () => {
    const dir = path.join(tmp, 'written', 'charts');
    const spec = JSON.parse(readFileSync(path.join(dir, 'speedup.vl.json'), 'utf8')) as TopLevelSpec & { data: { url: string } };
    expect(spec.data.url).to.equal('speedup.data.json');
    const values = JSON.parse(readFileSync(path.join(dir, spec.data.url), 'utf8')) as object[];
    const svg = await chartSvg({ ...spec, data: { values } });
    expect(svg).to.equal(readFileSync(path.join(dir, 'speedup.svg'), 'utf8'));
  });

  it('re-rendering removes the files of charts no longer drawn', async () => {
    const dir = path.join(tmp, 'written');
    await writeReport(dir, CELLS, RECORDS);
    const names = new Set(readdirSync(path.join(dir, 'charts')).map((f) => f.split('.')[0]));
    expect([...names].sort()).to.deep.equal(
      reportCharts(summaryRows(CELLS, RECORDS))
        .map((c) => c.name)
        .sort(),
    );
    expect(names.has('mss-vs-ns')).to.equal(false);
  });

  it('specinfer report DIR re-renders tables and charts from a hand-made run dir', async function () {
    this.timeout(60000);
    const dir = path.join(tmp, 'run');
    cpSync(FIXTURE, dir, { recursive: true });
    const { stdout } = await run('node', [CLI, 'report', dir]);
    expect(stdout.trim()).to.equal(path.join(dir, 'report.html'));
    for (const f of ['summary.csv', 'summary-by-workload.csv', 'report.html', 'charts/speedup.png']) expect(existsSync(path.join(dir, f)), f).to.equal(true);
    const r = readRunDir(FIXTURE);
    const expected = toCsv(summaryTable(summaryRows(r.cells, r.records), { name: 'summary', title: '', byWorkload: false }));
    expect(readFileSync(path.join(dir, 'summary.csv'), 'utf8')).to.equal(expected);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).to.contain(r.meta?.title ?? 'no title');
  });

  it('specinfer report --out writes elsewhere and leaves the run dir alone', async function () {
    this.timeout(60000);
    const out = path.join(tmp, 'out');
    await run('node', [CLI, 'report', FIXTURE, '--out', out]);
    expect(existsSync(path.join(out, 'report.html'))).to.equal(true);
    expect(readdirSync(FIXTURE).sort()).to.deep.equal(['cells.json', 'meta.json', 'steps.jsonl']);
  });
});

describe('report: malformed results folders', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-rundir-'));
    cpSync(FIXTURE, tmp, { recursive: true });
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const failure = (): ReportError => {
    try {
      readRunDir(tmp);
    } catch (e) {
      expect(e).to.be.instanceOf(ReportError);
      return e as ReportError;
    }
    return expect.fail('readRunDir succeeded');
  };

  it('a missing steps.jsonl names the file', () => {
    rmSync(path.join(tmp, 'steps.jsonl'));
    expect(failure().message).to.contain(path.join(tmp, 'steps.jsonl')).and.contain('not found');
  });

  it('a bad record names the file, the line and the key', () => {
    const f = path.join(tmp, 'steps.jsonl');
    const lines = readFileSync(f, 'utf8').split('\n');
    lines[2] = lines[2].replace('"nextKind":"bonus"', '"nextKind":"maybe"');
    writeFileSync(f, lines.join('\n'));
    expect(failure().message).to.contain(`${f}:3:`).and.contain("'nextKind'");
  });

  it('a line that is not JSON names its line', () => {
    const f = path.join(tmp, 'steps.jsonl');
    writeFileSync(f, readFileSync(f, 'utf8') + '{"cell": \n');
    expect(failure().message).to.match(/steps\.jsonl:\d+: not valid JSON/);
  });

  it('duplicate cell ids and records of unknown cells are refused', () => {
    const f = path.join(tmp, 'cells.json');
    const cells = JSON.parse(readFileSync(f, 'utf8')) as { id: string }[];
    writeFileSync(f, JSON.stringify([...cells, cells[0]]));
    expect(failure().message).to.contain(`'${cells[0].id}' appears twice`);
    writeFileSync(f, JSON.stringify(cells.slice(1)));
    expect(failure().message).to.contain(`'${cells[0].id}', which cells.json does not have`);
  });

  it('specinfer report on a missing folder exits 1 with the message', async () => {
    const err = await run('node', [CLI, 'report', path.join(tmp, 'nope')]).then(
      () => expect.fail('succeeded'),
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err.code).to.equal(1);
    expect(err.stderr).to.match(/^specinfer: results folder .*nope not found/);
  });
});
