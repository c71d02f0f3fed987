import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MODELS_DIR } from '../support/models-dir.js';

const exec = promisify(execFile);
const CLI = 'dist/src/cli/main.js';

async function specinfer(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', [CLI, ...args], { env: { ...process.env, SPECINFER_MODELS: MODELS_DIR } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const TINY = `name: cli-tiny
target: stories260K
workload: story-openings
promptsPerWorkload: 2
maxTokens: 12
seeds: [1]
sweep:
  speculator: [{kind: draft-model, models: [stories260K-ssm-m]}, {kind: ngram}]
`;

describe('specinfer validate / run / merge / trace / replay (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'specinfer-cli-'));
  const file = path.join(dir, 'tiny.yaml');
  writeFileSync(file, TINY);

  it('validate: ok line for a good file; each problem as file:line: key.path: problem, exit code 1', async () => {
    const ok = await specinfer('validate', file);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.equal(`${file}: ok: cli-tiny, 3 cells (2 + 1 baseline), measure decode, workloads story-openings\n`);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, TINY.replace('maxTokens: 12', 'maxTokens: 12\nverifer: {kind: mss}').replace('seeds: [1]', 'seeds: [-1]'));
    const r = await specinfer('validate', bad);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`specinfer: 2 problems in ${bad}:\n${bad}:6: verifer: unknown key 'verifer' (did you mean 'verifier'?)\n${bad}:7: seeds[0]: must be >= 0, got -1\n`);
  });

  it('run: plain progress lines when stderr is not a terminal, every output file, the report path on stdout', async () => {
    const out = path.join(dir, 'out');
    const r = await specinfer('run', file, '--out', out);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`${path.join(out, 'report.html')}\n`);
    expect(r.stderr.split('\n').filter((l) => l !== '')).to.have.length(3);
    expect(r.stderr).to.match(/^\[1\/3\] baseline-stories260K: 2 prompts, \d+ tokens, \d+ tokens\/s decoding, [\d.]+ s \([\d.]+ s loading and warm-up\), 1\.00 tokens\/step$/m);
    for (const f of ['steps.jsonl', 'summary.csv', 'config.resolved.yaml', 'env.json', 'report.html', 'charts/tokens-per-step.svg', 'charts/tokens-per-step.png']) {
      expect(existsSync(path.join(out, f)), f).to.equal(true);
    }
    const again = await specinfer('run', file, '--out', out);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/already holds results of a run; pass --resume/);
    const resumed = await specinfer('run', file, '--out', out, '--resume');
    expect(resumed.code).to.equal(0);
    expect(resumed.stderr).to.include('[3/3] c001: done before (resumed)');
  });

  it('run --shard k/N twice, then merge; trace and replay', async () => {
    for (const k of [1, 2]) expect((await specinfer('run', file, '--out', path.join(dir, `s${k}`), '--shard', `${k}/2`)).code).to.equal(0);
    const merged = await specinfer('merge', path.join(dir, 'merged'), path.join(dir, 's1'), path.join(dir, 's2'));
    expect(merged.code, merged.stderr).to.equal(0);
    expect(readFileSync(path.join(dir, 'merged', 'steps.jsonl'), 'utf8').split('\n').length).to.be.above(3);
    const bad = await specinfer('run', file, '--out', path.join(dir, 's3'), '--shard', '3/2');
    expect(bad.stderr).to.include('--shard must be k/N with 1 <= k <= N');
    const trace = path.join(dir, 'trace.jsonl');
    expect((await specinfer('trace', file, '--out', trace)).stdout).to.equal(`${trace}\n`);
    const replay = await specinfer('replay', file, '--trace', trace, '--out', path.join(dir, 'replay'));
    expect(replay.code, replay.stderr).to.equal(0);
    expect(existsSync(path.join(dir, 'replay', 'report.html'))).to.equal(true);
  });
});
