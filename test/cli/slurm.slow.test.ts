import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { lockHolder } from '../../src/harness/lock.js';
import { isTimedColumn } from '../../src/report/untimed.js';
import { readJson, readJsonl, type DoneState } from '../../src/harness/results.js';
import { MODELS_DIR } from '../support/models-dir.js';
import { slurmUnavailable, startSlurm, type SlurmCluster } from '../support/slurm-cluster.js';

const CLI = path.resolve('dist/src/cli/main.js');
const SWEEP = path.resolve('test/fixtures/slurm-sweep.yaml');
/** summary.csv columns that are times (or derived from them). */

async function specinfer(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('node', [CLI, ...args], { env: { ...env, SPECINFER_MODELS: MODELS_DIR } });
  return stdout;
}

/** steps.jsonl without timings, summary.csv without time columns, cells.json: what must equal the unsharded run's. */
function untimed(dir: string): object {
  const records = readJsonl<Record<string, unknown>>(path.join(dir, 'steps.jsonl')).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith('Ms'))));
  const [header, ...rows] = readFileSync(path.join(dir, 'summary.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const keep = header.map((h) => !isTimedColumn(h));
  const summary = [header, ...rows].map((row) => row.filter((_, i) => keep[i] ?? true));
  return { records, summary, cells: JSON.parse(readFileSync(path.join(dir, 'cells.json'), 'utf8')) as unknown };
}

function jobState(cluster: SlurmCluster, job: string): string {
  return /JobState=(\w+)/.exec(cluster.run('scontrol', 'show', 'job', '-o', job))?.[1] ?? 'UNKNOWN';
}

/** Polls every 100 ms for at most `seconds`; fails saying what was awaited and the Slurm logs. */
async function waitFor(cluster: SlurmCluster, what: string, seconds: number, ok: () => boolean): Promise<void> {
  for (let t = 0; t < seconds * 10; t++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}\n${cluster.logs()}`);
}

async function mergeDone(cluster: SlurmCluster, job: string, out: string): Promise<void> {
  await waitFor(cluster, `merge job ${job} to end`, 150, () => !['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING'].includes(jobState(cluster, job)));
  const log = path.join(out, 'slurm', 'logs');
  const logs = ['merge', 'shard-1', 'shard-2', 'shard-3']
    .map((f) => `${f}: ${existsSync(path.join(log, `${f}.log`)) ? readFileSync(path.join(log, `${f}.log`), 'utf8') : '(none)'}`)
    .join('\n');
  expect(jobState(cluster, job), logs).to.equal('COMPLETED');
}

describe('specinfer slurm on a one-node Slurm started here (root, slurm-wlm, munge)', function () {
  this.timeout(200_000);
  let cluster: SlurmCluster | undefined;
  const work = mkdtempSync(path.join(tmpdir(), 'specinfer-slurm-test-'));
  let reference: Promise<string> = Promise.resolve('');

  before(async function () {
    const why = slurmUnavailable();
    if (why !== undefined && process.env.CI === 'true') throw new Error(`the real-Slurm test cannot run under CI: ${why}`);
    if (why !== undefined) {
      process.stdout.write(`      skipped: Slurm cannot start here: ${why}\n`);
      this.skip();
    }
    cluster = await startSlurm();
    reference = specinfer(process.env, 'run', SWEEP, '--out', path.join(work, 'unsharded'));
  });

  after(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('3 array tasks and the merge job give the records and summary of an unsharded run (timings aside)', async () => {
    const c = cluster as SlurmCluster;
    const out = path.join(work, 'sweep');
    const jobs = await submitTo(cluster as SlurmCluster, out);
    await mergeDone(c, jobs.merge, out);
    await reference;
    expect(untimed(out)).to.deep.equal(untimed(path.join(work, 'unsharded')));
  });

  it('a task cancelled after its first cell, resubmitted alone, resumes: no record lost or duplicated', async () => {
    const c = cluster as SlurmCluster;
    await reference;
    // On a quiet machine a shard may finish its second cell before the cancel lands: then try a new submission.
    let caught: { out: string; jobs: { array: string; merge: string }; victim: number } | undefined;
    for (let attempt = 1; attempt <= 3 && caught === undefined; attempt++) caught = await cancelMidRun(c, path.join(work, `cancel-${attempt}`));
    expect(caught, 'a shard cancelled between its first and second cell (3 attempts)').to.not.equal(undefined);
    const { out, jobs, victim } = caught as NonNullable<typeof caught>;
    await waitFor(c, `merge job ${jobs.merge} killed (its dependency can no longer be met)`, 90, () => jobState(c, jobs.merge) === 'CANCELLED');
    const again = c.run('sbatch', '--parsable', `--array=${victim}`, path.join(out, 'slurm', 'array.sh')).trim();
    const merge = c.run('sbatch', '--parsable', `--dependency=afterok:${again}`, path.join(out, 'slurm', 'merge.sh')).trim();
    await mergeDone(c, merge, out);
    expect(readFileSync(path.join(out, 'slurm', 'logs', `shard-${victim}.log`), 'utf8')).to.match(/\[1\/2\] \S+: done before \(resumed\)/);
    expect(untimed(out)).to.deep.equal(untimed(path.join(work, 'unsharded')));
  });
});

/** `specinfer slurm` of the sweep into `out`: its array and merge job ids. */
function submitTo(c: SlurmCluster, out: string): Promise<{ array: string; merge: string }> {
  return specinfer(c.env, 'slurm', SWEEP, '--shards', '3', '--out', out).then((stdout) => {
    const ids = /^array (\d+)\nmerge (\d+)\n$/.exec(stdout);
    if (ids === null) throw new Error(`specinfer slurm printed ${JSON.stringify(stdout)}, not 'array ID' and 'merge ID'`);
    return { array: ids[1], merge: ids[2] };
  });
}

/**
 * Submits the sweep to `out` and cancels the first shard seen between its
 * first and second cell; undefined (everything of this submission cancelled)
 * when that shard finished its second cell before the cancel took effect.
 */
async function cancelMidRun(c: SlurmCluster, out: string): Promise<{ out: string; jobs: { array: string; merge: string }; victim: number } | undefined> {
  const jobs = await submitTo(c, out);
  const done = (k: number) => {
    const file = path.join(out, `shard-${k}`, 'cells-done.json');
    return existsSync(file) ? readJson<DoneState>(file).done.length : 0;
  };
  let victim = 0;
  await waitFor(c, 'a shard between its first and second cell', 120, () => {
    victim = [1, 2, 3].find((k) => done(k) === 1) ?? 0;
    return victim > 0;
  });
  const task = `${jobs.array}_${victim}`;
  const holder = lockHolder(path.join(out, `shard-${victim}`));
  c.run('scancel', task);
  await waitFor(c, `task ${task} cancelled and its process gone`, 60, () => ['CANCELLED', 'COMPLETED'].includes(jobState(c, task)) && !alive(holder?.pid));
  if (done(victim) === 1) return { out, jobs, victim };
  c.run('scancel', jobs.array, jobs.merge);
  return undefined;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
