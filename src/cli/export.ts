import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { makeOutDir, makeOutFileDir } from '../harness/out-dir.js';
import { writeGguf } from '../model/gguf-writer.js';
import { writeHfFolder } from '../model/hf-writer.js';
import { loadModel, modelVocab } from '../model/models.js';

interface ExportArgs {
  model: string;
  format: 'gguf' | 'hf';
  out: string;
  dtype: 'f32' | 'f16';
}

/**
 * `specinfer export <model> --format gguf --out FILE [--dtype f32|f16]`: any
 * loadable model (llama2.c, Hugging Face, GGUF, random) as a GGUF file with its
 * tokenizer, or as a Hugging Face folder (`--format hf --out DIR`).
 */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <model>',
  describe: 'Write a model as a GGUF file (llama.cpp) or a Hugging Face folder',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'model name under SPECINFER_MODELS, a path, or random:tiny' })
      .option('format', { choices: ['gguf', 'hf'] as const, demandOption: true, describe: 'gguf: one .gguf file; hf: a config.json + model.safetensors folder' })
      .option('out', { type: 'string', demandOption: true, describe: 'output file (gguf) or folder (hf)' })
      .option('dtype', { choices: ['f32', 'f16'] as const, default: 'f32' as const, describe: 'storage type of the weights' }) as unknown as Argv<ExportArgs>,
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    if (args.format === 'gguf') makeOutFileDir(args.out);
    else makeOutDir(args.out);
    const m = await loadModel(args.model);
    const vocab = modelVocab(m);
    const dtype = args.dtype === 'f16' ? 'F16' : 'F32';
    if (args.format === 'gguf') writeGguf(args.out, m.weights, vocab, { dtype, name: m.id });
    else writeHfFolder(args.out, m.weights, vocab, { dtype });
    process.stdout.write(`${args.out}\n`);
  },
};
