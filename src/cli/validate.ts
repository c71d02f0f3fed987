import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openExperiment } from '../harness/load.js';

interface ValidateArgs {
  files: string[];
  replay: boolean;
}

/**
 * `specinfer validate FILE...`: checks experiment files without loading any
 * model (schema, model files and vocabularies from headers, workloads,
 * verifier exactness); prints one line per file, problems as
 * `file:line: key.path: problem`.
 */
export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <files..>',
  describe: 'Check experiment files (nothing is loaded or run)',
  builder: (y: Argv) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'experiment files (YAML)' })
      .option('replay', { type: 'boolean', default: false, describe: 'also check that every cell can be replayed from a trace' }),
  handler: async (args: ArgumentsCamelCase<ValidateArgs>) => {
    for (const file of args.files) {
      const exp = await openExperiment(file, { replay: args.replay });
      for (const w of exp.warnings) process.stderr.write(`warning: ${w}\n`);
      const baselines = exp.cells.filter((c) => c.info.baseline).length;
      const workloads = new Set(exp.cells.flatMap((c) => c.workloads));
      process.stdout.write(
        `${file}: ok: ${exp.name}, ${exp.cells.length} cells (${exp.cells.length - baselines} + ${baselines} baseline${baselines === 1 ? '' : 's'}), ` +
          `measure ${exp.measure}, workloads ${[...workloads].join(', ')}\n`,
      );
    }
  },
};
