import { Resvg } from '@resvg/resvg-js';
import { expect } from 'chai';
import {
  cellName,
  mssVsNsChart,
  perDepthChart,
  reportCharts,
  speedupChart,
  timeBreakdownChart,
  tokensPerStepChart,
  treeWidth,
  widthChart,
  type Chart,
} from '../../src/report/charts.js';
import { chartFont, chartSvg, svgToPng, toVega } from '../../src/report/render.js';
import { readRunDir } from '../../src/report/run-dir.js';
import { summaryRows, type SummaryRow } from '../../src/report/summary.js';
import { CELLS, RECORDS } from './hand.js';

const FIXTURE = 'test/fixtures/run-small';
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('report charts', () => {
  let rows: SummaryRow[];
  before(() => {
    const run = readRunDir(FIXTURE);
    rows = summaryRows(run.cells, run.records);
  });

  it('the fixture run supports every chart, in report order', () => {
    expect(reportCharts(rows).map((c) => c.name)).to.deep.equal(['tokens-per-step', 'tokens-per-step-vs-width', 'speedup', 'per-depth-acceptance', 'time-breakdown', 'mss-vs-ns']);
  });

  it('every chart spec compiles to Vega and renders to a non-empty SVG and PNG', async function () {
    this.timeout(60000);
    for (const c of reportCharts(rows)) {
      expect(toVega(c.spec), c.name).to.have.property('marks');
      const svg = await chartSvg(c.spec);
      expect(svg, c.name).to.match(/^<svg[^>]*width="\d+"/);
      expect(svg, c.name).to.contain('<text');
      expect(svg, `${c.name} shows its title`).to.contain(c.title.replaceAll('&', '&amp;').replaceAll('<', '&lt;'));
      const png = svgToPng(svg);
      expect(png.subarray(0, 8).equals(PNG_MAGIC), `${c.name} PNG magic`).to.equal(true);
      const { width, height } = pngSize(png);
      expect(width, c.name).to.be.above(200);
      expect(height, c.name).to.be.above(100);
      expect(png.length, c.name).to.be.above(5000);
    }
  });

  it('PNG text is drawn with a font file found on this machine', async () => {
    expect(chartFont(), 'install fonts-dejavu-core (Debian) for PNG text').to.not.equal(undefined);
    const svg = await chartSvg((tokensPerStepChart(rows) as Chart).spec);
    const blank = new Resvg(svg, { font: { loadSystemFonts: false }, fitTo: { mode: 'zoom', value: 2 }, background: 'white' }).render().asPng();
    expect(svgToPng(svg).length, 'text adds ink to the PNG').to.be.above(blank.length * 1.5);
  });

  it('chart data hold the summary values', () => {
    const tps = tokensPerStepChart(rows) as Chart<{ cell: string; value: number }>;
    const c002 = rows.find((r) => r.cell === 'c002') as SummaryRow;
    expect(tps.data.find((d) => d.cell === cellName(c002))?.value).to.equal(c002.tokensPerStep);
    const width = widthChart(rows);
    expect(width?.data.map((d) => d.width)).to.include.members([1, 2, 3]);
    const ns = mssVsNsChart(rows);
    expect(new Set(ns?.data.map((d) => d.verifier))).to.deep.equal(new Set(['mss', 'ns']));
    const phases = timeBreakdownChart(rows);
    const parts = phases?.data.filter((d) => d.cell === cellName(c002)).reduce((s, d) => s + d.msPerToken, 0);
    expect(parts).to.be.closeTo(c002.msPerToken, 1e-9);
  });

  it("bars start at zero and carry error bars from the rows' 95% intervals", () => {
    const c002 = rows.find((r) => r.cell === 'c002') as SummaryRow;
    const tps = tokensPerStepChart(rows) as Chart<{ cell: string; lo: number; hi: number }>;
    expect(tps.data.find((d) => d.cell === cellName(c002))).to.include(c002.ci.tokensPerStep);
    for (const c of [tps, speedupChart(rows), mssVsNsChart(rows)] as Chart[]) {
      const layers = (c.spec as { layer: { mark: { type: string }; encoding: { x: { scale?: { zero?: boolean } } } }[] }).layer;
      expect(
        layers.map((l) => l.mark.type),
        c.name,
      ).to.include.members(['bar', 'errorbar']);
      expect(layers.find((l) => l.mark.type === 'bar')?.encoding.x.scale, c.name).to.deep.equal({ zero: true });
    }
    const speed = speedupChart(rows) as Chart<{ cell: string; lo: number; hi: number }>;
    expect(speed.data.find((d) => d.cell === cellName(c002))).to.include(c002.ci.speedup);
  });

  it('builders return undefined when the rows hold nothing to draw', () => {
    const hand = summaryRows(CELLS, RECORDS);
    expect(widthChart(hand), 'one tree width only').to.equal(undefined);
    expect(mssVsNsChart(hand), 'no MSS/NS pair').to.equal(undefined);
    expect(tokensPerStepChart([])).to.equal(undefined);
    expect(speedupChart(hand.filter((r) => r.cell === 'O'))).to.equal(undefined);
    expect(perDepthChart(hand.filter((r) => r.baseline))).to.equal(undefined);
  });

  it('tree width comes from an expansion list or a width value', () => {
    const row = (params: Record<string, string>) => ({ ...summaryRows(CELLS, RECORDS)[1], params });
    expect(treeWidth(row({ 'policy.expansion': '1,1,3,1' }))).to.equal(3);
    expect(treeWidth(row({ 'tree.width': '5' }))).to.equal(5);
    expect(treeWidth(row({ 'verifier.kind': 'mss' }))).to.equal(undefined);
  });
});
