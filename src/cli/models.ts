import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError } from '../core/errors.js';
import { writeHfFolder } from '../model/hf-writer.js';
import { defaultKvHeads, inflateWeights } from '../model/inflate.js';
import { loadModel, modelsDir, modelVocab } from '../model/models.js';
import { pullModel } from '../model/pull.js';
import { parameterCount } from '../model/weights.js';

/** `specinfer models pull [name]`: the one command that downloads. */
const pullCommand: CommandModule<object, { name: string }> = {
  command: 'pull [name]',
  describe: 'Download a known model (stories260K, stories15M, ...) into SPECINFER_MODELS',
  builder: (y: Argv) =>
    y.positional('name', { type: 'string', default: 'stories260K', describe: 'model name, e.g. stories260K' }) as unknown as Argv<{ name: string }>,
  handler: async (args) => {
    const dir = await pullModel(String(args.name), modelsDir(), (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`${dir}\n`);
  },
};

interface InflateArgs {
  model: string;
  dim: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads?: number;
  fill: 'random' | 'zero';
  seed: number;
  out: string;
}

/** `specinfer models inflate <model> --dim D --hidden H --layers L --heads NH [--kv-heads K] [--fill random|zero] [--seed S] --out DIR`. */
const inflateCommand: CommandModule<object, InflateArgs> = {
  command: 'inflate <model>',
  describe: 'Write a bigger model computing the same function (zero padding), as a Hugging Face folder',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'the source model (name, path, random:tiny)' })
      .option('dim', { type: 'number', demandOption: true, describe: 'model dimension (heads x the source head dimension)' })
      .option('hidden', { type: 'number', demandOption: true, describe: 'MLP hidden dimension' })
      .option('layers', { type: 'number', demandOption: true, describe: 'number of layers' })
      .option('heads', { type: 'number', demandOption: true, describe: 'query heads (the head dimension stays the source\'s)' })
      .option('kv-heads', { type: 'number', describe: 'kv heads (default: keep the source\'s query heads per kv head)' })
      .option('fill', {
        choices: ['random', 'zero'] as const,
        default: 'random' as const,
        describe: 'entries that only meet zeros: seeded random (dense, costs like a trained model) or zero (plain padding)',
      })
      .option('seed', { type: 'number', default: 0, describe: 'seed of the random fill' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (Hugging Face format)' }) as unknown as Argv<InflateArgs>,
  handler: async (args: ArgumentsCamelCase<InflateArgs>) => {
    if (existsSync(args.out)) throw new ConfigError(`--out ${args.out} already exists; give a new folder`);
    const m = await loadModel(args.model);
    const vocab = modelVocab(m);
    const nKvHeads = args.kvHeads ?? defaultKvHeads(m.weights.config, args.heads);
    const shape = { dim: args.dim, hiddenDim: args.hidden, nLayers: args.layers, nHeads: args.heads, nKvHeads };
    const big = inflateWeights(m.weights, shape, { fill: args.fill, seed: args.seed });
    writeHfFolder(args.out, big, vocab);
    process.stderr.write(`${m.id}: ${parameterCount(m.weights)} -> ${parameterCount(big)} parameters, rms_norm_eps ${big.config.normEps}\n`);
    process.stdout.write(`${args.out}\n`);
  },
};

/** `specinfer models <pull|inflate>`. */
export const modelsCommand: CommandModule = {
  command: 'models <command>',
  describe: 'Manage models under SPECINFER_MODELS: pull (download), inflate (bigger model, same function)',
  builder: (y: Argv) => y.command(pullCommand).command(inflateCommand).demandCommand(1, 'name a models command: pull or inflate'),
  handler: () => undefined,
};
