import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { monotonicClock } from '../core/types.js';
import { loadExperiment, type Experiment } from '../harness/load.js';
import { createProgress } from '../harness/progress.js';
import { runExperiment, type CellMeasure } from '../harness/run.js';
import { parseShard } from '../harness/shard.js';
import { MODELS_EPILOGUE } from './help.js';

interface RunArgs {
  file: string;
  out?: string;
  shard?: string;
  resume: boolean;
}

/** Options shared by run and replay. */
export function runOptions(y: Argv): Argv<RunArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'experiment file (YAML)' })
    .option('out', { type: 'string', describe: 'results folder (default results/NAME)' })
    .option('shard', { type: 'string', describe: 'run shard k/N (k = 1..N): the cells whose index mod N is k - 1' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted run in --out, skipping finished cells' }) as unknown as Argv<RunArgs>;
}

/** Runs (or replays) an experiment with a progress display on stderr; prints the report's path. */
export async function runFromArgs(exp: Experiment, args: RunArgs, out: string, measure?: CellMeasure, notes?: Record<string, string>): Promise<void> {
  for (const w of exp.warnings) process.stderr.write(`warning: ${w}\n`);
  const shard = args.shard === undefined ? undefined : parseShard(args.shard);
  const tty = process.stderr.isTTY === true;
  await runExperiment(exp, {
    out,
    shard,
    resume: args.resume,
    measure,
    metaNotes: notes,
    progress: (cells, requests) => createProgress({ stream: process.stderr, tty, cells, requests, clock: monotonicClock }),
  });
  process.stdout.write(`${path.join(out, 'report.html')}\n`);
}

/**
 * `specinfer run FILE [--out DIR] [--shard k/N] [--resume]`: validates the
 * experiment, runs every cell (with the incremental baseline of each target)
 * and writes steps.jsonl, summary.csv, charts and report.html into DIR.
 */
export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <file>',
  describe: 'Run an experiment file: every cell of its sweep, records, tables, charts and report.html',
  builder: (y: Argv) => runOptions(y).epilogue(MODELS_EPILOGUE),
  handler: async (args: ArgumentsCamelCase<RunArgs>) => {
    const exp = loadExperiment(args.file);
    await runFromArgs(exp, args, args.out ?? path.join('results', exp.name));
  },
};
