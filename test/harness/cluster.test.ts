import { expect } from 'chai';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadExperiment } from '../../src/harness/load.js';
import { LOCK_FILE, lockResults } from '../../src/harness/lock.js';
import { mergeRuns } from '../../src/harness/merge.js';
import { runExperiment } from '../../src/harness/run.js';
import { resolveShard, shardFromEnv, type Env } from '../../src/harness/shard.js';
import { arrayScript, mergeScript, shellQuote, type SlurmSweep } from '../../src/harness/slurm.js';
import { MODELS_DIR, useTestModelsDir } from '../support/models-dir.js';

const SMALL = `name: small
target: stories260K
workload: story-openings
promptsPerWorkload: 1
maxTokens: 6
seeds: [1]
warmupTokens: 0
sweep:
  speculator: [{kind: ngram}, {kind: suffix}, {kind: draft-model, models: [stories260K-ssm-m]}]
`;

function tmp(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `specinfer-${prefix}-`));
}

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return expect.fail('expected an error');
}

describe('--shard auto: the shard from a Slurm array task or a Kubernetes Indexed Job', () => {
  const slurm = (id: number, min: number, max: number, step = 1, count?: number): Env => ({
    SLURM_ARRAY_TASK_ID: `${id}`,
    SLURM_ARRAY_TASK_MIN: `${min}`,
    SLURM_ARRAY_TASK_MAX: `${max}`,
    SLURM_ARRAY_TASK_STEP: `${step}`,
    SLURM_ARRAY_TASK_COUNT: `${count ?? Math.floor((max - min) / step) + 1}`,
  });

  it('a Slurm array task is shard rank + 1 of the task count, its rank counted in steps from MIN', () => {
    expect(shardFromEnv(slurm(1, 1, 3))).to.deep.equal({ index: 1, count: 3 });
    expect(shardFromEnv(slurm(3, 1, 3), 3)).to.deep.equal({ index: 3, count: 3 });
    expect([0, 2, 4].map((id) => shardFromEnv(slurm(id, 0, 4, 2)))).to.deep.equal([1, 2, 3].map((index) => ({ index, count: 3 })));
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' })).to.deep.equal({ index: 3, count: 4 });
  });

  it('an irregular or resubmitted-subset array, a count that disagrees with --shards, non-numbers: errors', () => {
    expect(message(() => shardFromEnv(slurm(4, 1, 9, 1, 3)))).to.match(/not a regular range .*ID=4 MIN=1 MAX=9 STEP=1 COUNT=3.*--array=1-N/);
    expect(message(() => shardFromEnv(slurm(2, 2, 2), 3))).to.match(/^--shard auto: the Slurm array has 1 tasks but --shards 3; submit all 3/);
    expect(message(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' }))).to.equal('--shard auto: SLURM_ARRAY_TASK_ID=x is not a whole number');
    expect(message(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '1' }))).to.match(/neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX/);
  });

  it('a Kubernetes Indexed Job pod is shard JOB_COMPLETION_INDEX + 1 of --shards (required)', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, 4)).to.deep.equal({ index: 1, count: 4 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '3' }, 4)).to.deep.equal({ index: 4, count: 4 });
    expect(message(() => shardFromEnv({ JOB_COMPLETION_INDEX: '3' }))).to.match(/needs --shards N, N = the Job's completions/);
    expect(message(() => shardFromEnv({ JOB_COMPLETION_INDEX: '4' }, 4))).to.match(/JOB_COMPLETION_INDEX=4 but --shards 4/);
  });

  it('outside a scheduler: one line naming the variables looked for; --shards only with auto', () => {
    const text = message(() => resolveShard('auto', undefined, { HOME: '/root' }));
    expect(text).to.not.include('\n');
    expect(text).to.include('SLURM_ARRAY_TASK_ID').and.include('JOB_COMPLETION_INDEX');
    expect(resolveShard('2/5', undefined, {})).to.deep.equal({ index: 2, count: 5 });
    expect(message(() => resolveShard('2/5', 5, {}))).to.match(/--shards goes with --shard auto/);
  });

  it('the CLI: `run --shard auto` outside a scheduler stops with that line, exit code 1', async () => {
    const env = { PATH: process.env.PATH ?? '', SPECINFER_MODELS: MODELS_DIR };
    const file = path.join(tmp('auto'), 'small.yaml');
    writeFileSync(file, SMALL);
    const r = await promisify(execFile)('node', ['dist/src/cli/main.js', 'run', file, '--shard', 'auto', '--out', tmp('auto-out')], { env }).then(
      () => expect.fail('outside a scheduler --shard auto is an error'),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^specinfer: --shard auto: no scheduler shard found; looked for SLURM_ARRAY_TASK_ID .* and JOB_COMPLETION_INDEX .*\n$/);
  });
});

describe('one writer per results folder (run.lock)', () => {
  before(() => useTestModelsDir());

  it('a second lock fails naming the holder; released, the folder can be locked again', () => {
    const dir = tmp('lock');
    const lock = lockResults(dir);
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).to.include({ pid: process.pid, host: hostname() });
    expect(message(() => lockResults(dir))).to.match(
      new RegExp(`is being written by pid ${process.pid} on host ${hostname()} since .*the same shard twice.*delete .*run\\.lock and resume`),
    );
    lock.release();
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
    lockResults(dir).release();
  });

  it("a lock of a process gone on this host is stale and taken over; another host's lock is not", () => {
    const dir = tmp('stale');
    const gone = spawnSync('true').pid;
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: gone, host: hostname(), started: 'then' }));
    lockResults(dir).release();
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: gone, host: 'elsewhere', started: 'then' }));
    expect(message(() => lockResults(dir))).to.match(new RegExp(`pid ${gone} on host elsewhere since then`));
  });

  it('two runs of the same shard into one folder: the second fails at once, the first finishes untouched', async () => {
    const exp = loadExperiment(writeConfig(SMALL));
    const dir = tmp('twice');
    const first = runExperiment(exp, { out: dir });
    const second = await runExperiment(exp, { out: dir, resume: true }).then(
      () => expect.fail('the second writer must fail'),
      (e: Error) => e.message,
    );
    expect(second).to.match(/is being written by pid \d+ on host .*: two runs were given the same results folder/);
    expect((await first).ran).to.have.length(4);
    expect(existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
  });
});

function writeConfig(text: string): string {
  const file = path.join(tmp('config'), 'small.yaml');
  writeFileSync(file, text);
  return file;
}

describe('merge before every shard finished', () => {
  before(() => useTestModelsDir());

  it('names each shard not started or started and not finished (cells-done not covering its cells)', async () => {
    const exp = loadExperiment(writeConfig(SMALL));
    const root = tmp('merge-early');
    const [s1, s2, s3] = [1, 2, 3].map((k) => path.join(root, `shard-${k}`));
    await runExperiment(exp, { out: s2, shard: { index: 2, count: 3 } });
    const stop = (): void => {
      throw new Error('cancelled');
    };
    await runExperiment(exp, { out: s1, shard: { index: 1, count: 3 }, afterCell: stop }).catch(() => undefined);
    const text = await mergeRuns(path.join(root, 'merged'), [s1, s2, s3]).then(
      () => expect.fail('merge of unfinished shards must fail'),
      (e: Error) => e.message,
    );
    expect(text).to.equal(
      `${s1} (shard 1/3) is not finished (1 of 2 cells to go; resume it (specinfer run ... --resume)); ${s3} not found (its shard has not started); shard 3/3 missing`,
    );
  });
});

describe('specinfer slurm: the sbatch scripts', () => {
  const sweep: SlurmSweep = {
    node: '/opt/node/bin/node',
    cli: '/opt/specinfer/dist/src/cli/main.js',
    config: "/home/me/it's.yaml",
    out: '/shared/out',
    cwd: '/home/me',
    shards: 3,
    name: 'sweep',
    models: '/shared/models',
    time: '1:00:00',
    cpusPerTask: 2,
  };

  it('the array: one task per shard, each running shard k/N into OUT/shard-k with --resume, absolute paths, models exported', () => {
    const text = arrayScript(sweep);
    expect(text.split('\n').filter((l) => l.startsWith('#SBATCH'))).to.deep.equal([
      '#SBATCH --chdir=/home/me',
      '#SBATCH --job-name=specinfer-sweep',
      '#SBATCH --array=1-3',
      '#SBATCH --time=1:00:00',
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --output=/shared/out/slurm/logs/shard-%a.log',
      '#SBATCH --open-mode=append',
      '#SBATCH --requeue',
    ]);
    expect(text).to.include("export SPECINFER_MODELS='/shared/models'\n");
    expect(text).to.include(
      `exec '/opt/node/bin/node' '/opt/specinfer/dist/src/cli/main.js' 'run' '/home/me/it'\\''s.yaml' --shard "$SLURM_ARRAY_TASK_ID/3" --out '/shared/out/shard-'"$SLURM_ARRAY_TASK_ID" --resume\n`,
    );
  });

  it('the merge job: every shard folder into OUT, killed if the array fails', () => {
    const text = mergeScript({ ...sweep, models: undefined });
    expect(text).to.include('#SBATCH --kill-on-invalid-dep=yes\n').and.include('#SBATCH --output=/shared/out/slurm/logs/merge.log\n');
    expect(text).to.not.include('SPECINFER_MODELS');
    expect(text).to.include(
      `exec '/opt/node/bin/node' '/opt/specinfer/dist/src/cli/main.js' 'merge' '/shared/out' '/shared/out/shard-1' '/shared/out/shard-2' '/shared/out/shard-3'\n`,
    );
    expect(shellQuote("a'b c")).to.equal(`'a'\\''b c'`);
  });

  it('the CLI: --dry-run prints both scripts and submits nothing; more shards than cells is refused', async () => {
    const exp = path.resolve('test/fixtures/slurm-sweep.yaml');
    const out = path.join(tmp('slurm-dry'), 'out');
    const env = { ...process.env, SPECINFER_MODELS: MODELS_DIR };
    const cli = (...args: string[]) => promisify(execFile)('node', ['dist/src/cli/main.js', 'slurm', exp, '--out', out, ...args], { env });
    const { stdout } = await cli('--shards', '6', '--dry-run');
    expect(stdout).to.include(`# ${out}/slurm/array.sh\n#!/bin/bash\n`).and.include('#SBATCH --array=1-6\n').and.include(`# ${out}/slurm/merge.sh\n`);
    expect(existsSync(out)).to.equal(false);
    const refused = await cli('--shards', '7').then(
      () => expect.fail('7 shards of 6 cells must be refused'),
      (e: { stderr: string }) => e.stderr,
    );
    expect(refused).to.match(/--shards 7 but .*slurm-sweep\.yaml has 6 cells .*use --shards 6 or fewer/);
  });
});
