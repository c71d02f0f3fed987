import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError } from '../core/errors.js';
import { writeHfFolder } from '../model/formats/hf-writer.js';
import { defaultKvHeads, inflateWeights } from '../model/inflate.js';
import { loadModel, modelsDir, modelVocab } from '../model/models.js';
import { catalogueLines, pullModel } from '../model/pull/pull.js';
import { parameterCount } from '../model/weights.js';

/** `specinfer models pull [name] [--list]`: the one command that downloads. */
const pullCommand: CommandModule<object, PullArgs> = {
  command: 'pull [name]',
  describe: 'Download a catalogue model (stories260K, stories15M, ...) or hf:ORG/NAME[@REV][/FILE.gguf] into the models folder',
  builder: (y: Argv) =>
    y
      .positional('name', { type: 'string', describe: 'a catalogue name, hf:ORG/NAME[@REV] or hf:ORG/NAME[@REV]/FILE.gguf; none lists the catalogue' })
      .option('list', { type: 'boolean', default: false, describe: 'list the catalogue (name, size, what it is)' }),
  handler: async (args: ArgumentsCamelCase<PullArgs>) => {
    if (args.list || args.name === undefined) {
      process.stdout.write(`${catalogueLines().join('\n')}\n`);
      return;
    }
    const log = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    const { dir, fetched } = await pullModel(args.name, modelsDir(), { log });
    if (!fetched) log(`${dir} is already complete; nothing to do`);
    process.stdout.write(`${dir}\n`);
  },
};

interface PullArgs {
  name?: string;
  list: boolean;
}

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
  describe: 'Write a bigger model computing the same function (new entries seeded random by default, see --fill), as a Hugging Face folder',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'the source model (name, path, random:tiny)' })
      .option('dim', { type: 'number', demandOption: true, describe: 'model dimension (heads x the source head dimension)' })
      .option('hidden', { type: 'number', demandOption: true, describe: 'MLP hidden dimension' })
      .option('layers', { type: 'number', demandOption: true, describe: 'number of layers' })
      .option('heads', { type: 'number', demandOption: true, describe: "query heads (the head dimension stays the source's)" })
      .option('kv-heads', { type: 'number', describe: "kv heads (default: keep the source's query heads per kv head)" })
      .option('fill', {
        choices: ['random', 'zero'] as const,
        default: 'random' as const,
        describe: 'entries that only meet zeros: seeded random (dense, costs like a trained model) or zero (plain padding)',
      })
      .option('seed', { type: 'number', default: 0, describe: 'seed of the random fill' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (Hugging Face format)' }),
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

const MODELS_HELP =
  'Models live in the models folder: $SPECINFER_MODELS, else ./models (relative to the current directory); ' +
  'a model there is named by its folder. The repository ships stories260K and its three drafts ' +
  '(stories260K-ssm-s, stories260K-ssm-s-boost, stories260K-ssm-m) in models/. See docs/models.md.';

/** `specinfer models <pull|inflate>`. */
export const modelsCommand: CommandModule = {
  command: 'models <command>',
  describe: 'Manage models in the models folder: pull (download), inflate (bigger model, same function)',
  builder: (y: Argv) => y.command(pullCommand).command(inflateCommand).demandCommand(1, 'name a models command: pull or inflate').epilogue(MODELS_HELP),
  handler: () => undefined,
};
