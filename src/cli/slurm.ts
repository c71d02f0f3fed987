import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError } from '../core/errors.js';
import { openExperiment } from '../harness/load.js';
import { arrayScript, mergeScript, slurmPaths, type SlurmSweep } from '../harness/slurm.js';

interface SlurmArgs {
  file: string;
  shards: number;
  out: string;
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  mem?: string;
  dryRun: boolean;
}

const SHARED = 'DIR must be on a filesystem every node sees (NFS, Lustre, ...)';

/** The sweep of `args`, every path absolute; refuses more shards than cells. */
async function sweepOf(args: SlurmArgs): Promise<SlurmSweep> {
  const exp = await openExperiment(args.file);
  for (const w of exp.warnings) process.stderr.write(`warning: ${w}\n`);
  if (!(Number.isInteger(args.shards) && args.shards >= 1)) throw new ConfigError(`--shards must be a whole number >= 1, got ${args.shards}`);
  if (args.shards > exp.cells.length) {
    throw new ConfigError(
      `--shards ${args.shards} but ${args.file} has ${exp.cells.length} cells (cells are the unit of work, extra shards would have none); use --shards ${exp.cells.length} or fewer`,
    );
  }
  return {
    node: process.execPath,
    cli: fileURLToPath(new URL('./main.js', import.meta.url)),
    config: path.resolve(args.file),
    out: path.resolve(args.out),
    cwd: process.cwd(),
    shards: args.shards,
    name: exp.name,
    models: process.env.SPECINFER_MODELS === undefined ? undefined : path.resolve(process.env.SPECINFER_MODELS),
    partition: args.partition,
    time: args.time,
    cpusPerTask: args.cpusPerTask,
    mem: args.mem,
  };
}

/** `sbatch --parsable [options] script`: the job id. */
async function sbatch(script: string, options: readonly string[] = []): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('sbatch', ['--parsable', ...options, script]);
    return stdout.trim().split(';')[0];
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new ConfigError(`sbatch not found on PATH: run \`specinfer slurm\` where Slurm jobs are submitted (a login node); the scripts are in ${path.dirname(script)}`);
    throw new ConfigError(`sbatch ${script} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/**
 * `specinfer slurm FILE --shards N --out DIR`: writes DIR/slurm/array.sh
 * (one task per shard) and DIR/slurm/merge.sh, submits both (the merge
 * after the array succeeds) and prints `array JOBID` and `merge JOBID`;
 * --dry-run prints the scripts instead.
 */
export const slurmCommand: CommandModule<object, SlurmArgs> = {
  command: 'slurm <file>',
  describe: `Run an experiment as a Slurm job array (one task per shard) plus a merge job into DIR; ${SHARED}`,
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'experiment file (YAML)' })
      .option('shards', { type: 'number', demandOption: true, describe: 'array tasks (at most the number of cells)' })
      .option('out', { type: 'string', demandOption: true, describe: `results folder: shards in DIR/shard-K, merged results in DIR; ${SHARED}` })
      .option('partition', { type: 'string', describe: 'sbatch --partition' })
      .option('time', { type: 'string', describe: 'sbatch --time of each task (e.g. 1:00:00)' })
      .option('cpus-per-task', { type: 'number', describe: "sbatch --cpus-per-task (match the file's engine.threads)" })
      .option('mem', { type: 'string', describe: 'sbatch --mem of each task (e.g. 4G)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the scripts, submit nothing' })
      .epilog(
        `Task k runs shard k/N with --resume: resubmit a failed one with \`sbatch --array=K DIR/slurm/array.sh\` and the merge with \`sbatch --dependency=afterok:JOBID DIR/slurm/merge.sh\`. ${SHARED}.`,
      ) as unknown as Argv<SlurmArgs>,
  handler: async (args: ArgumentsCamelCase<SlurmArgs>) => {
    const sweep = await sweepOf(args);
    const files = slurmPaths(sweep.out);
    const scripts = { array: arrayScript(sweep), merge: mergeScript(sweep) };
    if (args.dryRun) {
      process.stdout.write(`# ${files.array}\n${scripts.array}\n# ${files.merge}\n${scripts.merge}`);
      return;
    }
    mkdirSync(files.logs, { recursive: true });
    writeFileSync(files.array, scripts.array, { mode: 0o755 });
    writeFileSync(files.merge, scripts.merge, { mode: 0o755 });
    const array = await sbatch(files.array);
    const merge = await sbatch(files.merge, [`--dependency=afterok:${array}`]);
    process.stdout.write(`array ${array}\nmerge ${merge}\n`);
    process.stderr.write(
      `${sweep.shards} tasks (logs in ${files.logs}); merged results in ${sweep.out} once all succeed.\n` +
        `A task that failed or was cancelled (shard K): sbatch --array=K ${files.array}, then sbatch --dependency=afterok:JOBID ${files.merge}\n`,
    );
  },
};
