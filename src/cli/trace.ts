import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openExperiment } from '../harness/load.js';
import { makeOutFileDir } from '../harness/out-dir.js';
import { recordTrace } from '../harness/trace.js';
import { numberCheck } from './numbers.js';

interface TraceArgs {
  file: string;
  out?: string;
  extra: number;
}

/** The default trace file of an experiment. */
export function defaultTrace(name: string): string {
  return path.join('results', name, 'trace.jsonl');
}

/**
 * `specinfer trace FILE [--out TRACE]`: records each target's greedy output
 * for every prompt of the experiment (for `specinfer replay`).
 */
export const traceCommand: CommandModule<object, TraceArgs> = {
  command: 'trace <file>',
  describe: "Record the target's greedy outputs on an experiment's prompts (for replay)",
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'experiment file (YAML)' })
      .option('out', { type: 'string', describe: 'trace file (default results/NAME/trace.jsonl)' })
      .option('extra', { type: 'number', default: 64, describe: 'tokens traced beyond maxTokens (at least the deepest tree)' })
      .check(numberCheck({ extra: 'positive-int' })),
  handler: async (args: ArgumentsCamelCase<TraceArgs>) => {
    const exp = await openExperiment(args.file, { replay: true });
    const out = args.out ?? defaultTrace(exp.name);
    makeOutFileDir(out);
    const n = await recordTrace(exp, out, args.extra);
    process.stderr.write(`traced ${n} prompts\n`);
    process.stdout.write(`${out}\n`);
  },
};
