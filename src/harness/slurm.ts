/**
 * The sbatch scripts of `specinfer slurm`: a job array of one task per
 * shard (task k runs shard k/N into OUT/shard-k with --resume, so a
 * requeued or resubmitted task continues) and a merge job, submitted with
 * --dependency=afterok on the array, that merges the shards into OUT.
 * Every path in them is absolute; OUT must be on a filesystem all nodes share.
 */
import path from 'node:path';

export interface SlurmSweep {
  /** Absolute paths: the node binary, this install's CLI (dist/src/cli/main.js), the experiment file, the results folder. */
  readonly node: string;
  readonly cli: string;
  readonly config: string;
  readonly out: string;
  /** The working directory of the jobs (relative workload paths resolve here). */
  readonly cwd: string;
  readonly shards: number;
  /** The experiment's name (job names specinfer-NAME, specinfer-NAME-merge). */
  readonly name: string;
  /** $SPECINFER_MODELS to export in the jobs, if set. */
  readonly models?: string;
  /** sbatch resources of each array task; omitted ones are the cluster's defaults. */
  readonly partition?: string;
  readonly time?: string;
  readonly cpusPerTask?: number;
  readonly mem?: string;
}

/** Where `specinfer slurm` puts things under OUT. */
export function slurmPaths(out: string): { readonly dir: string; readonly logs: string; readonly array: string; readonly merge: string } {
  const dir = path.join(out, 'slurm');
  return { dir, logs: path.join(dir, 'logs'), array: path.join(dir, 'array.sh'), merge: path.join(dir, 'merge.sh') };
}

/** The results folder of shard k. */
function shardOut(out: string, k: number | string): string {
  return path.join(out, `shard-${k}`);
}

/** `text` as one single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The array job: task k (1..N) runs shard k/N into OUT/shard-k. The shard
 * is named from SLURM_ARRAY_TASK_ID (not `--shard auto`, the task's rank) so
 * that one task resubmitted alone (`sbatch --array=K array.sh`) still runs shard K.
 */
export function arrayScript(s: SlurmSweep): string {
  const logs = slurmPaths(s.out).logs;
  const resources = [
    s.partition === undefined ? undefined : `--partition=${s.partition}`,
    s.time === undefined ? undefined : `--time=${s.time}`,
    s.cpusPerTask === undefined ? undefined : `--cpus-per-task=${s.cpusPerTask}`,
    s.mem === undefined ? undefined : `--mem=${s.mem}`,
  ].filter((o): o is string => o !== undefined);
  const run = [s.node, s.cli, 'run', s.config].map(shellQuote).join(' ');
  return script(
    s,
    [`--job-name=specinfer-${s.name}`, `--array=1-${s.shards}`, ...resources, `--output=${path.join(logs, 'shard-%a.log')}`, '--open-mode=append', '--requeue'],
    [`exec ${run} --shard "$SLURM_ARRAY_TASK_ID/${s.shards}" --out ${shellQuote(shardOut(s.out, ''))}"$SLURM_ARRAY_TASK_ID" --resume`],
  );
}

/** The merge job (submitted with --dependency=afterok:ARRAY_JOB): merges OUT/shard-1..N into OUT. */
export function mergeScript(s: SlurmSweep): string {
  const merge = [s.node, s.cli, 'merge', s.out].map(shellQuote).join(' ');
  const shards = Array.from({ length: s.shards }, (_, i) => shellQuote(shardOut(s.out, i + 1))).join(' ');
  const options = [`--job-name=specinfer-${s.name}-merge`, ...(s.partition === undefined ? [] : [`--partition=${s.partition}`])];
  return script(s, [...options, `--output=${path.join(slurmPaths(s.out).logs, 'merge.log')}`, '--open-mode=append', '--kill-on-invalid-dep=yes'], [`exec ${merge} ${shards}`]);
}

function script(s: SlurmSweep, options: readonly string[], commands: readonly string[]): string {
  const env = s.models === undefined ? [] : [`export SPECINFER_MODELS=${shellQuote(s.models)}`];
  return [
    '#!/bin/bash',
    `# specinfer slurm: ${s.config} (${s.shards} shards) -> ${s.out}`,
    ...[`--chdir=${s.cwd}`, ...options].map((o) => `#SBATCH ${o}`),
    'set -eu',
    ...env,
    ...commands,
    '',
  ].join('\n');
}
