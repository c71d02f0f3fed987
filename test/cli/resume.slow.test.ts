import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { specinfer, startSpecinfer } from './cli.js';

/** 1 baseline + 4 cells, a few seconds in all. */
const FIVE = `name: edges-five
target: stories260K
workload: story-openings
promptsPerWorkload: 4
maxTokens: 48
seeds: [1]
warmupTokens: 0
sweep:
  speculator: [{kind: suffix}, {kind: ngram}, {kind: suffix, maxDepth: 16}, {kind: ngram, maxN: 2}]
`;

const TINY = FIVE.replace('promptsPerWorkload: 4', 'promptsPerWorkload: 2').replace(/sweep:[^]*$/, 'sweep:\n  speculator: [{kind: suffix}]\n');

interface Record {
  readonly cell: string;
  readonly stop?: string;
}

const recordsOf = (out: string): Record[] =>
  readFileSync(path.join(out, 'steps.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record);

describe('run: interrupting and resuming (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'specinfer-resume-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Ctrl-C after the first cell: one line saying how many cells are done and how to continue, exit 130; the command resumes', async () => {
    const file = path.join(dir, 'five.yaml');
    const out = path.join(dir, 'five');
    writeFileSync(file, FIVE);
    const child = startSpecinfer(['run', file, '--out', out]);
    let stderr = '';
    let sent = false;
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /^\[1\/5\] /m.test(stderr)) sent = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr).to.equal(130);
    const last = stderr.trimEnd().split('\n').at(-1) ?? '';
    const m = /^interrupted: (\d) of 5 cells done; continue with: specinfer (run .*)$/.exec(last);
    expect(m, stderr).to.not.equal(null);
    expect(Number(m?.[1])).to.be.at.least(1);
    expect(m?.[2]).to.equal(`run ${file} --out ${out} --resume`);
    const resumed = await specinfer(m?.[2].split(' ') ?? []);
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(new Set(recordsOf(out).map((r) => r.cell)).size).to.equal(5);
  });

  it('--resume runs again a done cell whose records are damaged, with a warning; every record is back', async () => {
    const file = path.join(dir, 'tiny.yaml');
    const out = path.join(dir, 'tiny');
    writeFileSync(file, TINY);
    expect((await specinfer(['run', file, '--out', out])).code).to.equal(0);
    const steps = path.join(out, 'steps.jsonl');
    const lines = readFileSync(steps, 'utf8').split('\n');
    const count = recordsOf(out).length;
    const at = lines.findIndex((l) => l.includes('"cell":"c000"'));
    lines[at] = lines[at].replace('"accepted":', '"accepted"');
    writeFileSync(steps, lines.join('\n'));
    const r = await specinfer(['run', file, '--out', out, '--resume']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr, r.stderr).to.include(`warning: ${steps}: the records of cell c000 are damaged (a line does not parse); running it again\n`);
    expect(r.stderr).to.include('[1/2] baseline-stories260K: done before (resumed)');
    expect(recordsOf(out)).to.have.length(count);
    // Each request's last record says why it stopped: 2 requests per cell.
    expect(
      recordsOf(out)
        .filter((x) => x.stop !== undefined)
        .map((x) => x.stop),
    )
      .to.have.length(4)
      .and.satisfy((s: string[]) => s.every((w) => ['eos', 'max-tokens'].includes(w)));
    expect(existsSync(path.join(out, 'report.html'))).to.equal(true);
  });

  it('--resume notices a done cell with fewer records than it wrote (a line removed)', async () => {
    const out = path.join(dir, 'tiny');
    const steps = path.join(out, 'steps.jsonl');
    const lines = readFileSync(steps, 'utf8').split('\n');
    const count = recordsOf(out).length;
    const at = lines.findIndex((l) => l.includes('"cell":"baseline-stories260K"'));
    writeFileSync(steps, [...lines.slice(0, at), ...lines.slice(at + 1)].join('\n'));
    const r = await specinfer(['run', path.join(dir, 'tiny.yaml'), '--out', out, '--resume']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/the records of cell baseline-stories260K are damaged \(\d+ of \d+ lines readable\); running it again/);
    expect(recordsOf(out)).to.have.length(count);
  });
});
