import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { makeOutDir } from '../harness/out-dir.js';

interface ReportArgs {
  dir: string;
  out?: string;
}

/**
 * `specinfer report DIR [--out OUT]`: re-renders the summary tables, charts
 * and report.html of a results folder (cells.json + steps.jsonl) into DIR or
 * OUT; prints the report.html path. The report modules (danfo, vega) load
 * only when this command runs.
 */
export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dir>',
  describe: 'Re-render summary tables, charts and report.html from a results folder',
  builder: (y: Argv) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'results folder with cells.json and steps.jsonl' })
      .option('out', { type: 'string', describe: 'write the report here instead of into DIR' }),
  handler: async (args: ArgumentsCamelCase<ReportArgs>) => {
    const { readRunDir, writeReport } = await import('../report/report.js');
    const run = readRunDir(args.dir);
    const out = args.out ?? args.dir;
    makeOutDir(out);
    await writeReport(out, run.cells, run.records, run.meta, run.outputs);
    process.stdout.write(`${out.replace(/\/+$/, '')}/report.html\n`);
  },
};
