import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { buildRun, type PolicyConfig, type RunSpec } from '../harness/components.js';
import { decodeText } from '../model/tokenizer.js';
import { formatStats, summarize } from '../report/metrics.js';
import { VERIFIER_KINDS, type VerifierKind } from '../verifiers/index.js';

interface GenerateArgs {
  target: string;
  prompt: string;
  maxTokens: number;
  greedy: boolean;
  draft: string[];
  expansion?: string;
  maxNodes: number;
  verifier?: VerifierKind;
  temperature?: number;
  topK: number;
  topP: number;
  seed: number;
  batchSize: number;
  allowLossy: boolean;
  threads: number;
  executionProvider: string[];
  dumpOnnx?: string;
}

function options(y: Argv): Argv<GenerateArgs> {
  return y
    .option('target', { type: 'string', demandOption: true, describe: 'model name under SPECINFER_MODELS, a path, or random:tiny / random:stories110M' })
    .option('prompt', { type: 'string', default: '', describe: 'prompt text (BOS is always prepended)' })
    .option('max-tokens', { type: 'number', default: 256, describe: 'maximum number of generated tokens' })
    .option('greedy', { type: 'boolean', default: false, describe: 'argmax decoding (same as --temperature 0, the default)' })
    .option('draft', { type: 'string', array: true, default: [], describe: 'draft model (SSM); repeat for a merge-based tree' })
    .option('expansion', { type: 'string', describe: 'tree expansion k1,...,km (default 1,1,3,1,1,1,1,1 with --draft)' })
    .option('max-nodes', { type: 'number', default: 64, describe: 'node budget of every tree' })
    .option('verifier', { choices: VERIFIER_KINDS, describe: 'greedy at temperature 0, else mss' })
    .option('temperature', { type: 'number', describe: 'sampling temperature (0 = greedy; default 0)' })
    .option('top-k', { type: 'number', default: 0, describe: 'keep the k most probable tokens (0 = off)' })
    .option('top-p', { type: 'number', default: 1, describe: 'nucleus sampling mass (1 = off)' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the per-request random streams' })
    .option('batch-size', { type: 'number', default: 1, describe: 'requests decoded together (copies of the prompt, own random streams)' })
    .option('allow-lossy', { type: 'boolean', default: false, describe: 'accept a verifier that is not exact for this tree kind' })
    .option('threads', { type: 'number', default: 1, describe: 'onnxruntime intra-op threads (0 = one per core)' })
    .option('execution-provider', { type: 'string', array: true, default: ['cpu'], describe: 'onnxruntime execution providers, e.g. cuda cpu' })
    .option('dump-onnx', { type: 'string', describe: 'also write the target ONNX graph to this file' }) as unknown as Argv<GenerateArgs>;
}

/** Turns command-line options into a run spec (the same shape configs use). */
export function specFromArgs(args: GenerateArgs): RunSpec {
  const temperature = args.greedy ? 0 : (args.temperature ?? 0);
  if (args.greedy && args.temperature !== undefined && args.temperature !== 0) {
    throw new ConfigError(`--greedy and --temperature ${args.temperature} contradict each other`);
  }
  const expansion = (args.expansion ?? '1,1,3,1,1,1,1,1').split(',').map((s) => Number(s.trim()));
  if (expansion.some((k) => !Number.isInteger(k) || k < 1)) throw new ConfigError(`--expansion must be positive integers like 1,1,3,1, got '${args.expansion}'`);
  const policy: PolicyConfig = { kind: 'static', expansion };
  return {
    target: args.target,
    speculator: args.draft.length > 0 ? { kind: 'draft-model', models: args.draft } : { kind: 'none' },
    policy,
    verifier: { kind: args.verifier ?? (temperature === 0 ? 'greedy' : 'mss') },
    sampling: { temperature, topK: args.topK, topP: args.topP },
    maxNodes: args.maxNodes,
    allowLossy: args.allowLossy,
    engine: { threads: args.threads, executionProviders: args.executionProvider, dumpOnnxPath: args.dumpOnnx },
  };
}

/** `specinfer generate`: text to stdout (as without speculation), one stats line to stderr. */
export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Generate text with a target model, with or without speculation',
  builder: options,
  handler: async (args: ArgumentsCamelCase<GenerateArgs>) => {
    if (!Number.isInteger(args.maxTokens) || args.maxTokens < 1) throw new ConfigError(`--max-tokens must be a positive integer, got ${args.maxTokens}`);
    if (!Number.isInteger(args.batchSize) || args.batchSize < 1) throw new ConfigError(`--batch-size must be a positive integer, got ${args.batchSize}`);
    const spec = specFromArgs(args);
    const run = await buildRun(spec);
    const tok = run.tokenizer;
    const prompt = tok.encode(args.prompt, { bos: true });
    const stream = args.batchSize === 1 ? new TokenPrinter(tok, prompt) : null;
    const requests = Array.from({ length: args.batchSize }, (_, i) => ({ prompt, rng: createRng(args.seed).fork(`request-${i}`) }));
    const { outputs, records } = await decodeSpeculative(run.target, run.speculator, run.verifier, requests, {
      maxTokens: args.maxTokens,
      stopTokens: [tok.bosId, tok.eosId],
      sampling: spec.sampling,
      maxNodes: args.maxNodes,
      onTokens: (_, tokens) => stream?.write(tokens),
    });
    if (stream) stream.end();
    else for (const o of outputs) process.stdout.write(decodeText(tok, [...prompt, ...o.tokens]) + '\n');
    process.stderr.write(formatStats(summarize(records)) + '\n');
    await run.dispose();
  },
};

/** Streams text as tokens arrive; the prompt is echoed first, as run.c does. */
class TokenPrinter {
  private readonly decoder = new TextDecoder('utf-8');
  private prev: number;

  constructor(
    private readonly tok: { pieceBytes(prev: number, token: number): Uint8Array },
    prompt: Int32Array,
  ) {
    this.prev = prompt[0];
    this.write(Array.from(prompt.subarray(1)));
  }

  write(tokens: readonly number[]): void {
    let text = '';
    for (const t of tokens) {
      text += this.decoder.decode(this.tok.pieceBytes(this.prev, t), { stream: true });
      this.prev = t;
    }
    process.stdout.write(text);
  }

  end(): void {
    process.stdout.write(this.decoder.decode() + '\n');
  }
}
