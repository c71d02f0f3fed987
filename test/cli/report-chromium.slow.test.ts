/**
 * report.html as a reader sees it: a tiny run's report rendered by headless
 * Chromium (Debian package `chromium`, installed by .ci/run). Checks that
 * the screenshot is made and is far from a blank page, and that nothing
 * sticks out past the right edge of a 1200 px window. Skips, saying why,
 * when Chromium is not installed. With SPECINFER_SCREENSHOTS=DIR the
 * screenshot is kept as DIR/report.png, to look at.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MODELS_DIR } from '../support/models-dir.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';
const CHROMIUM = '/usr/bin/chromium';
const WINDOW = { width: 1200, height: 3000 };

const CONFIG = `name: chromium-check
description: a tiny run whose report a browser renders
target: stories260K
workload: story-openings
promptsPerWorkload: 2
maxTokens: 16
seeds: [1]
warmupTokens: 0
sweep:
  speculator:
    - {name: ssm-tree, value: {kind: draft-model, models: [stories260K-ssm-m], policy: {kind: static, expansion: [1, 1, 3, 1, 1, 1, 1, 1]}}}
    - {kind: draft-model, models: [stories260K-ssm-m], policy: {kind: static, expansion: [1, 1, 1, 1, 1, 1, 1, 1]}}
    - {kind: draft-model, models: [stories260K-ssm-m], policy: {kind: chain, depth: 8}}
`;

/** Runs Chromium headless on a local file with `args` (as root it needs --no-sandbox); its stdout. */
async function chromium(file: string, ...args: string[]): Promise<string> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${WINDOW.width},${WINDOW.height}`, ...args];
  const { stdout } = await run(CHROMIUM, [...flags, `file://${file}`], { timeout: 120_000, maxBuffer: 64 * 2 ** 20 });
  return stdout;
}

/** A screenshot of `file`: its size in bytes, width and height (from the PNG header). */
async function screenshot(file: string, png: string): Promise<{ bytes: number; width: number; height: number }> {
  await chromium(file, `--screenshot=${png}`);
  const head = readFileSync(png).subarray(0, 24);
  expect(head.subarray(1, 4).toString('latin1'), 'a PNG').to.equal('PNG');
  return { bytes: statSync(png).size, width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

describe('report.html in headless Chromium (as a reader sees it)', function () {
  this.timeout(600_000);
  let tmp = '';
  let report = '';

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`    skipped: ${CHROMIUM} not found (Debian package chromium; .ci/run installs it)`);
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-chromium-'));
    const config = path.join(tmp, 'chromium-check.yaml');
    writeFileSync(config, CONFIG);
    const out = path.join(tmp, 'run');
    await run('node', [CLI, 'run', config, '--out', out], { env: { ...process.env, SPECINFER_MODELS: MODELS_DIR } });
    report = path.join(out, 'report.html');
  });
  after(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('the screenshot is made and holds far more than a blank page', async () => {
    const blank = path.join(tmp, 'blank.html');
    writeFileSync(blank, '<!DOCTYPE html><html><body></body></html>\n');
    const empty = await screenshot(blank, path.join(tmp, 'blank.png'));
    const shot = await screenshot(report, path.join(tmp, 'report.png'));
    expect([shot.width, shot.height]).to.deep.equal([WINDOW.width, WINDOW.height]);
    expect(shot.bytes).to.be.above(5 * empty.bytes);
    const keep = process.env.SPECINFER_SCREENSHOTS;
    if (keep) cpSync(path.join(tmp, 'report.png'), path.join(keep, 'report.png'));
  });

  it('nothing is wider than the window: tables scroll inside the page, charts shrink to it', async () => {
    const probe = path.join(tmp, 'probe.html');
    const measure = '<script>document.body.dataset.overflow = String(document.documentElement.scrollWidth - window.innerWidth);</script>';
    writeFileSync(probe, readFileSync(report, 'utf8').replace('</body>', `${measure}\n</body>`));
    const dom = await chromium(probe, '--dump-dom');
    const overflow = /data-overflow="(-?\d+)"/.exec(dom)?.[1];
    expect(overflow, 'the probe ran').to.not.equal(undefined);
    expect(Number(overflow)).to.be.at.most(0);
  });

  it('the page shows the config, the short labels and the load average', () => {
    const html = readFileSync(report, 'utf8');
    expect(html).to.contain('<section id="config">').and.contain('name: ssm-tree');
    expect(html).to.contain('<td>ssm-tree</td>').and.contain('<td>speculator=static(expansion=[1×8])</td>').and.contain('<td>speculator=chain(depth=8)</td>');
    expect(html).to.contain('<dt>loadAvgEnd</dt>');
  });
});
