import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError } from '../core/errors.js';
import { makeOutDir, makeOutFileDir } from '../harness/out-dir.js';
import { writeGguf, type GgufDtype } from '../model/formats/gguf-writer.js';
import { writeHfFolder } from '../model/formats/hf-writer.js';
import { loadModelAs, modelVocab } from '../model/models.js';
import { dequantizeWeights } from '../model/weights.js';

interface ExportArgs {
  model: string;
  format: 'gguf' | 'hf';
  out: string;
  dtype: 'f32' | 'f16' | 'q8_0' | 'q4_0';
}

/**
 * `specinfer export <model> --format gguf --out FILE [--dtype f32|f16|q8_0|q4_0]`:
 * any loadable model (llama2.c, Hugging Face, GGUF, random) as a GGUF file with
 * its tokenizer (q8_0 / q4_0: layer matrices quantized, gguf-writer.ts), or as a
 * Hugging Face folder (`--format hf --out DIR`, f32 or f16).
 */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <model>',
  describe: 'Write a model as a GGUF file (llama.cpp) or a Hugging Face folder',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'model name under SPECINFER_MODELS, a path, or random:tiny' })
      .option('format', { choices: ['gguf', 'hf'] as const, demandOption: true, describe: 'gguf: one .gguf file; hf: a config.json + model.safetensors folder' })
      .option('out', { type: 'string', demandOption: true, describe: 'output file (gguf) or folder (hf)' })
      .option('dtype', {
        choices: ['f32', 'f16', 'q8_0', 'q4_0'] as const,
        default: 'f32' as const,
        describe: 'storage type of the weights (q8_0 / q4_0: GGUF only, layer matrices quantized as llama.cpp does)',
      }),
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    if (args.format === 'gguf') makeOutFileDir(args.out);
    else makeOutDir(args.out);
    const m = await loadModelAs(args.model);
    const vocab = modelVocab(m);
    const dtype = args.dtype.toUpperCase() as GgufDtype;
    if (args.format === 'gguf') writeGguf(args.out, m.weights, vocab, { dtype, name: m.id });
    else if (dtype === 'F32' || dtype === 'F16') writeHfFolder(args.out, dequantizeWeights(m.weights), vocab, { dtype });
    else throw new ConfigError(`--dtype ${args.dtype} is for --format gguf only; a Hugging Face folder holds f32 or f16 weights`);
    process.stdout.write(`${args.out}\n`);
  },
};
