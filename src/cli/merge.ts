import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { mergeRuns } from '../harness/merge.js';

interface MergeArgs {
  out: string;
  dirs: string[];
}

/** `specinfer merge OUT DIR...`: the shard folders of one experiment as one results folder (and its report). */
export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <out> <dirs..>',
  describe: 'Combine the results folders of the shards of one experiment (run --shard k/N) into OUT',
  builder: (y: Argv) =>
    y
      .positional('out', { type: 'string', demandOption: true, describe: 'merged results folder' })
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard results folders' }),
  handler: async (args: ArgumentsCamelCase<MergeArgs>) => {
    const { cells, measure } = await mergeRuns(args.out, args.dirs);
    const { renderReport } = await import('../report/run-report.js');
    await renderReport(args.out, measure);
    process.stderr.write(`merged ${args.dirs.length} shard(s), ${cells} cells\n`);
    process.stdout.write(`${path.join(args.out, 'report.html')}\n`);
  },
};
