import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openExperiment } from '../harness/load.js';
import { replayMeasure } from '../harness/replay.js';
import { readTrace } from '../harness/trace.js';
import { runFromArgs, runOptions } from './run.js';
import { defaultTrace } from './trace.js';

interface ReplayArgs {
  file: string;
  trace?: string;
  out?: string;
  shard?: string;
  resume: boolean;
}

/**
 * `specinfer replay FILE [--trace TRACE] [--out DIR]`: measures the
 * experiment's speculators and policies against a recorded target trace
 * (greedy acceptance, no target forwards): fast sweeps of tree shapes.
 */
export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay <file>',
  describe: 'Measure speculators against a recorded target trace (greedy acceptance only; the target does not run)',
  builder: (y: Argv) => runOptions(y).option('trace', { type: 'string', describe: 'trace file from `specinfer trace` (default results/NAME/trace.jsonl)' }),
  handler: async (args: ArgumentsCamelCase<ReplayArgs>) => {
    const exp = await openExperiment(args.file, { replay: true });
    const file = args.trace ?? defaultTrace(exp.name);
    const trace = readTrace(file);
    await runFromArgs(exp, args, {
      out: args.out ?? path.join('results', `${exp.name}-replay`),
      command: ['replay', args.file, ...(args.trace === undefined ? [] : ['--trace', args.trace])],
      measure: replayMeasure(trace),
      notes: { replay: `against the target trace ${file} (the target did not run: nothing was timed)` },
      timed: false,
    });
  },
};
