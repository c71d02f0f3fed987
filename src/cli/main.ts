#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SpecInferError, UsageError } from '../core/errors.js';
import { importNamedPlugins, pluginArgs } from '../harness/plugins.js';
import { exportCommand } from './export.js';
import { generateCommand } from './generate.js';
import { MODELS_EPILOGUE } from './help.js';
import { mergeCommand } from './merge.js';
import { modelsCommand } from './models.js';
import { replayCommand } from './replay.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { slurmCommand } from './slurm.js';
import { traceCommand } from './trace.js';
import { validateCommand } from './validate.js';

/** The `specinfer` command line: one module per command. */
async function main(argv: string[]): Promise<void> {
  // generate's --plugin modules register before its flags are built from the registry.
  await importNamedPlugins(pluginArgs(argv), process.cwd());
  await yargs(argv)
    .scriptName('specinfer')
    .command(generateCommand)
    .command(modelsCommand)
    .command(exportCommand)
    .command(reportCommand)
    .command(runCommand)
    .command(validateCommand)
    .command(mergeCommand)
    .command(slurmCommand)
    .command(traceCommand)
    .command(replayCommand)
    .demandCommand(1, 'name a command')
    .strict()
    .epilogue(MODELS_EPILOGUE)
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`specinfer: ${msg} (see specinfer --help)\n`);
      process.exit(2);
    })
    .parseAsync();
}

// A closed pipe (e.g. `| head`) ends the program quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof SpecInferError) {
    process.stderr.write(`specinfer: ${e.message}${e instanceof UsageError ? ' (see specinfer --help)' : ''}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  }
  throw e;
});
