import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { monotonicClock } from '../core/types.js';
import { openExperiment, type Experiment } from '../harness/load.js';
import { createProgress } from '../harness/progress.js';
import { runExperiment, type CellMeasure } from '../harness/run.js';
import { readJson, RESULT_FILES, type DoneState } from '../harness/results.js';
import { resolveShard, shardCells, WHOLE } from '../harness/shard.js';
import { MODELS_EPILOGUE } from './help.js';

interface RunArgs {
  file: string;
  out?: string;
  shard?: string;
  shards?: number;
  resume: boolean;
}

/** Options shared by run and replay. */
export function runOptions(y: Argv): Argv<RunArgs> {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'experiment file (YAML)' })
    .option('out', { type: 'string', describe: 'results folder (default results/NAME)' })
    .option('shard', {
      type: 'string',
      describe: 'run shard k/N (k = 1..N): the cells whose index mod N is k - 1; auto: from a Slurm array task or Kubernetes Indexed Job (docs/cluster.md)',
    })
    .option('shards', { type: 'number', describe: 'with --shard auto: the number of shards (required in a Kubernetes Indexed Job)' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue an interrupted run in --out, skipping finished cells' });
}

/** How runFromArgs runs: where, the command line that resumes it, and for replay its measure. */
export interface RunTarget {
  readonly out: string;
  /** The command and its options other than --out, --shard and --resume, e.g. `run FILE`. */
  readonly command: readonly string[];
  readonly measure?: CellMeasure;
  readonly notes?: Record<string, string>;
  /** Whether the records' times measure the run (false for replay). */
  readonly timed?: boolean;
}

/**
 * Runs (or replays) an experiment with a progress display on stderr; prints
 * the report's path. Ctrl-C (SIGINT) ends it with exit status 130 and a line
 * saying how to resume.
 */
export async function runFromArgs(exp: Experiment, args: RunArgs, t: RunTarget): Promise<void> {
  for (const w of exp.warnings) process.stderr.write(`warning: ${w}\n`);
  const shard = args.shard === undefined ? undefined : resolveShard(args.shard, args.shards, process.env);
  const tty = process.stderr.isTTY === true;
  const resume = [...t.command, '--out', t.out, ...(args.shard === undefined ? [] : ['--shard', args.shard]), '--resume'];
  const onInterrupt = () => interrupted(t.out, shardCells(exp.cells, shard ?? WHOLE).length, resume);
  process.on('SIGINT', onInterrupt);
  const { cellDetail, renderReport } = await import('../report/run-report.js');
  try {
    await runExperiment(exp, {
      out: t.out,
      shard,
      resume: args.resume,
      measure: t.measure,
      metaNotes: t.notes,
      timed: t.timed,
      warn: (w) => process.stderr.write(`warning: ${w}\n`),
      progress: (cells, requests) => createProgress({ stream: process.stderr, tty, cells, requests, clock: monotonicClock }),
      cellDetail,
    });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  await renderReport(t.out, exp.measure);
  process.stdout.write(`${path.join(t.out, 'report.html')}\n`);
}

/** Ends an interrupted run: how many of its `cells` cells are done, and the command that continues it. */
function interrupted(out: string, cells: number, resume: readonly string[]): never {
  const file = path.join(out, RESULT_FILES.done);
  const done = existsSync(file) ? readJson<DoneState>(file).done.length : 0;
  process.stderr.write(`\ninterrupted: ${done} of ${cells} cells done; continue with: specinfer ${resume.map(shellWord).join(' ')}\n`);
  process.exit(130);
}

/** A word as typed in a POSIX shell (quoted when it needs it). */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
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
    const exp = await openExperiment(args.file);
    await runFromArgs(exp, args, { out: args.out ?? path.join('results', exp.name), command: ['run', args.file] });
  },
};
