/**
 * A one-node Slurm on this machine for tests: munged (own key, socket, pid
 * and log files), slurmctld and slurmd (`-D`, this host's short name as
 * controller and node, free ports, state and spool under a temporary
 * folder). Needs root and the Debian packages slurm-wlm and munge.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';

const BINARIES = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'];
const SBIN = '/usr/sbin:/sbin';

export interface SlurmCluster {
  /** process.env with SLURM_CONF and PATH (including sbin) for the Slurm commands. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a Slurm command; its stdout (throws with its stderr when it fails). */
  run(command: string, ...args: string[]): string;
  /** The last lines of the daemons' logs (for failure messages). */
  logs(): string;
  /** Cancels every job, stops the daemons started here (by pid), removes the folder. */
  stop(): Promise<void>;
}

/** Why a one-node Slurm cannot start here (not root, binaries missing), or undefined. */
export function slurmUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (slurmd and munged need it)';
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN}` };
  const missing = BINARIES.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`], { env }).status !== 0);
  return missing.length === 0 ? undefined : `${missing.join(', ')} not found (Debian packages: slurm-wlm munge)`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function slurmConf(dir: string, host: string, ports: readonly [number, number]): string {
  const memory = Math.floor((totalmem() / 2 ** 20) * 0.8);
  return [
    'ClusterName=specinfer-test',
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${path.join(dir, 'munge', 'socket')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'MpiDefault=none',
    'ReturnToService=2',
    'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'MailProg=/bin/true',
    `StateSaveLocation=${path.join(dir, 'state')}`,
    `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
    `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${path.join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${path.join(dir, 'slurmd.log')}`,
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${memory} State=UNKNOWN`,
    `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4`,
    '',
  ].join('\n');
}

async function until(what: string, ok: () => boolean, seconds: number, details: () => string): Promise<void> {
  for (let t = 0; t < seconds * 10; t++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not after ${seconds} s\n${details()}`);
}

function tail(file: string, lines = 15): string {
  return existsSync(file) ? `--- ${file}\n${readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')}` : '';
}

/** Starts munged, slurmctld and slurmd; resolves once the node is idle. */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'specinfer-slurm-'));
  for (const d of ['munge', 'state', 'spool']) mkdirSync(path.join(dir, d));
  chmodSync(path.join(dir, 'munge'), 0o711);
  const host = spawnSync('hostname', ['-s'], { encoding: 'utf8' }).stdout.trim();
  const conf = path.join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, host, [await freePort(), await freePort()]));
  const env = { ...process.env, SLURM_CONF: conf, PATH: `${process.env.PATH ?? ''}:${SBIN}` };
  const daemons: ChildProcess[] = [];
  const start = (command: string, args: readonly string[]): void => {
    daemons.push(spawn(command, args, { env, stdio: ['ignore', 'ignore', 'ignore'] }));
  };
  const m = (f: string) => path.join(dir, 'munge', f);
  const run = (command: string, ...args: string[]): string => {
    const r = spawnSync(command, args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
    return r.stdout;
  };
  const logs = () => ['slurmctld.log', 'slurmd.log', 'munge/log'].map((f) => tail(path.join(dir, f))).join('\n');
  const cluster: SlurmCluster = { env, run, logs, stop: () => stopSlurm(run, daemons, dir) };
  try {
    run('mungekey', '-c', '-k', m('key'));
    start('munged', ['-F', '-f', `--key-file=${m('key')}`, `--socket=${m('socket')}`, `--pid-file=${m('pid')}`, `--log-file=${m('log')}`, `--seed-file=${m('seed')}`]);
    await until('munged socket', () => existsSync(m('socket')), 10, logs);
    start('slurmctld', ['-D', '-i', '-f', conf]);
    start('slurmd', ['-D', '-f', conf]);
    await until('the Slurm node idle', () => spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim() === 'idle', 30, logs);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

async function stopSlurm(run: SlurmCluster['run'], daemons: readonly ChildProcess[], dir: string): Promise<void> {
  try {
    const jobs = run('squeue', '-h', '-o', '%i')
      .split('\n')
      .filter((j) => j !== '');
    if (jobs.length > 0) run('scancel', ...jobs);
    await until(
      'every job ended',
      () => run('squeue', '-h', '-o', '%i').trim() === '',
      30,
      () => '',
    );
  } catch {
    // the controller is not up: no jobs to cancel
  }
  for (const d of [...daemons].reverse()) {
    if (d.exitCode !== null || d.signalCode !== null) continue;
    const exited = new Promise((r) => d.once('exit', r));
    d.kill('SIGTERM');
    const timer = setTimeout(() => d.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
