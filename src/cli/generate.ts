import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError } from '../core/errors.js';
import { generateIncremental } from '../decode/incremental.js';
import { EngineModel } from '../engine/model.js';
import { loadModel } from '../model/models.js';
import { formatStats } from '../report/stats.js';

interface GenerateArgs {
  target: string;
  prompt: string;
  maxTokens: number;
  greedy: boolean;
  threads: number;
  executionProvider: string[];
  dumpOnnx?: string;
}

/** `specinfer generate`: text from a target model; text to stdout, one stats line to stderr. */
export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Generate text with a target model (greedy incremental decoding)',
  builder: (y: Argv) =>
    y
      .option('target', { type: 'string', demandOption: true, describe: 'model name under SPECINFER_MODELS, a path, or random:tiny / random:stories110M' })
      .option('prompt', { type: 'string', default: '', describe: 'prompt text (BOS is always prepended)' })
      .option('max-tokens', { type: 'number', default: 256, describe: 'maximum number of generated tokens' })
      .option('greedy', { type: 'boolean', default: true, describe: 'argmax decoding' })
      .option('threads', { type: 'number', default: 1, describe: 'onnxruntime intra-op threads (0 = one per core)' })
      .option('execution-provider', { type: 'string', array: true, default: ['cpu'], describe: "onnxruntime execution providers, e.g. cuda cpu" })
      .option('dump-onnx', { type: 'string', describe: 'also write the built ONNX graph to this file' }) as unknown as Argv<GenerateArgs>,
  handler: async (args: ArgumentsCamelCase<GenerateArgs>) => {
    if (!args.greedy) throw new ConfigError('only --greedy decoding is available in this version');
    if (!Number.isInteger(args.maxTokens) || args.maxTokens < 1) throw new ConfigError(`--max-tokens must be a positive integer, got ${args.maxTokens}`);
    const loaded = await loadModel(args.target);
    const tok = loaded.tokenizer;
    const model = await EngineModel.create(
      { id: loaded.id, weights: loaded.weights, bosId: tok.bosId, eosIds: [tok.eosId] },
      { threads: args.threads, executionProviders: args.executionProvider, dumpOnnxPath: args.dumpOnnx },
    );
    const prompt = tok.encode(args.prompt, { bos: true });
    const decoder = new TextDecoder('utf-8');
    const write = (bytes: Uint8Array) => process.stdout.write(decoder.decode(bytes, { stream: true }));
    // The prompt is echoed as run.c does, so stdout is the whole text.
    for (let i = 1; i < prompt.length; i++) write(tok.pieceBytes(prompt[i - 1], prompt[i]));
    const result = await generateIncremental(model, prompt, {
      maxTokens: args.maxTokens,
      stopTokens: [tok.bosId, tok.eosId],
      onToken: (token, prev) => write(tok.pieceBytes(prev, token)),
    });
    process.stdout.write(decoder.decode() + '\n');
    process.stderr.write(formatStats({ tokens: result.tokens.length, steps: result.steps, acceptedDrafts: 0, proposedDrafts: 0, decodeMs: result.decodeMs }) + '\n');
    await model.dispose();
  },
};
