import type { Argv, CommandModule } from 'yargs';
import { modelsDir } from '../model/models.js';
import { pullModel } from '../model/pull.js';

/** `specinfer models pull <name>`: the one command that downloads. */
export const modelsCommand: CommandModule = {
  command: 'models <action> [name]',
  describe: 'Manage checkpoints under SPECINFER_MODELS (pull downloads stories260K and friends)',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['pull'] as const, describe: 'pull: download a known model' })
      .positional('name', { type: 'string', describe: 'model name, e.g. stories260K' }),
  handler: async (args) => {
    const name = String(args.name ?? 'stories260K');
    const dir = await pullModel(name, modelsDir(), (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`${dir}\n`);
  },
};
