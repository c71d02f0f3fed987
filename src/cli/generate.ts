import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule, Options } from 'yargs';
import { GRAPH_KINDS, type GraphKind } from '../model/graph/llama-graph.js';
import { QUANT_TYPES, type WeightsType } from '../model/formats/quant.js';
import { ConfigError, EngineError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { decodeSpeculative, type RequestOutput } from '../decode/speculative.js';
import { buildRun, freshModels, type RunSpec } from '../harness/components.js';
import { ENGINE_BENCH_FILE, readForwardLatency } from '../harness/latency.js';
import { READER_FLAGS } from '../harness/option-flags.js';
import { decodeText } from '../model/formats/tokenizer.js';
import { formatStats, summarize } from '../report/metrics.js';
import { resolvePolicy, SPECULATOR_DEFINITIONS, speculatorConfig, speculatorDefinition, type SpeculatorConfig } from '../speculators/registry.js';
import { POLICY_KINDS, policyConfig, policyDefinition, type PolicyConfig, type PolicyKind } from '../tree/policies.js';
import { VERIFIER_KINDS, type VerifierKind } from '../verifiers/index.js';
import { MODELS_EPILOGUE } from './help.js';
import { numberCheck } from './numbers.js';
import { addOptionFlags, checkFlagsApply, flagFields, flagNumberKinds, kindsOfGivenFlags, parseByFlags, sharedFlagGiven, type ReaderFlag } from './option-flags.js';
import { applySets } from './set-option.js';

const QUANT_CHOICES: readonly WeightsType[] = ['f32', ...QUANT_TYPES];

/** The fixed flags; the speculator and tree policy flags are generated (option-flags.ts) and read by name. */
interface GenerateArgs {
  target: string;
  prompt: string;
  maxTokens: number;
  greedy: boolean;
  speculator: string[];
  reference: string[];
  policy?: string;
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
  graph: GraphKind;
  weights?: WeightsType;
  set: string[];
  readonly [flag: string]: unknown;
}

/** Kinds `--speculator` takes: every one but composites (several --speculator make a hybrid). */
/** The --speculator choices: every registered kind but composite ones (read when the command line is parsed, after --plugin modules register). */
const cliSpeculators = (): string[] => SPECULATOR_DEFINITIONS.filter((d) => !d.composite).map((d) => d.kind);

/** Flags that read a file into an option. */
const READERS: readonly ReaderFlag[] = [
  {
    flag: READER_FLAGS['policy.sequoia.hardware'],
    root: 'policy',
    kind: 'sequoia',
    option: 'hardware',
    describe: 'sequoia: engine benchmark JSON (forwardMs) for a hardware-aware shape',
    read: (file, args) => ({
      forwardMs: readForwardLatency(file, String(args.target), Number(args.threads), (args.weights as WeightsType | undefined) ?? 'f32'),
      draftMsPerLevel: 0,
    }),
  },
];

/** The numeric fixed options and what each accepts. */
const NUMBER_OPTIONS = {
  'max-tokens': 'positive-int',
  'max-nodes': 'count',
  temperature: 'non-negative',
  'top-k': 'count',
  'top-p': 'mass',
  seed: 'count',
  'batch-size': 'positive-int',
  threads: 'count',
} as const;

/** The fixed flags (the speculator and tree policy flags are generated from the definitions). */
const fixedOptions = (): Readonly<Record<string, Options>> => ({
  target: { type: 'string', demandOption: true, describe: 'model name under SPECINFER_MODELS, a path, or random:tiny / random:stories110M' },
  prompt: { type: 'string', default: '', describe: 'prompt text (BOS is always prepended)' },
  'max-tokens': { type: 'number', default: 256, describe: 'maximum number of generated tokens' },
  greedy: { type: 'boolean', default: false, describe: 'argmax decoding (same as --temperature 0, the default)' },
  plugin: {
    type: 'string',
    array: true,
    default: [],
    describe: 'a module whose definitions (speculators, tree policies, verifiers) join the registry, e.g. ./bigram.mjs (repeatable; docs/extending.md)',
  },
  speculator: { choices: cliSpeculators(), array: true, default: [], describe: 'speculator kind; repeat for a hybrid (default draft-model with --draft, else none)' },
  reference: { type: 'string', array: true, default: [], describe: 'a file whose text is a reference document of the request (retrieval); repeat for several' },
  policy: { choices: POLICY_KINDS, describe: "tree policy (default: the speculator's own; the kind whose own flags are given, e.g. static with --expansion)" },
  'max-nodes': { type: 'number', default: 64, describe: 'node budget of every tree' },
  verifier: { choices: VERIFIER_KINDS, describe: 'greedy at temperature 0, else mss (docs/options.md: which is exact for which trees)' },
  temperature: { type: 'number', describe: 'sampling temperature (0 = greedy; default 0)' },
  'top-k': { type: 'number', default: 0, describe: 'keep the k most probable tokens (0 = off)' },
  'top-p': { type: 'number', default: 1, describe: 'nucleus sampling mass (1 = off)' },
  seed: { type: 'number', default: 0, describe: 'seed of the per-request random streams' },
  'batch-size': { type: 'number', default: 1, describe: 'requests decoded together (copies of the prompt, own random streams)' },
  'allow-lossy': { type: 'boolean', default: false, describe: 'accept a verifier that is not exact for this tree kind' },
  threads: { type: 'number', default: 1, describe: 'onnxruntime intra-op threads (0 = one per core)' },
  'execution-provider': { type: 'string', array: true, default: ['cpu'], describe: 'onnxruntime execution providers, e.g. cuda cpu' },
  graph: { choices: GRAPH_KINDS, default: 'fused', describe: 'fused onnxruntime kernels, or the plain-ONNX reference graph' },
  weights: { choices: QUANT_CHOICES, describe: "target's layer matrices: f32, or quantized at load to q8_0 / q4_0 (default: as stored)" },
  set: {
    type: 'string',
    array: true,
    default: [],
    describe: 'any speculator or tree policy option, KEY=VALUE, e.g. speculator.maxDepth=4 or policy.depth=6 (repeatable; options in docs/options.md)',
  },
  'dump-onnx': { type: 'string', describe: 'also write the target ONNX graph to this file' },
});

function options(y: Argv): Argv<GenerateArgs> {
  const fixedOpts = fixedOptions();
  const fixed = Object.entries(fixedOpts)
    .reduce((acc, [name, o]) => acc.option(name, o), y)
    .group(Object.keys(fixedOpts), 'Options:');
  return addOptionFlags(fixed, READERS)
    .check(numberCheck({ ...NUMBER_OPTIONS, ...flagNumberKinds() }))
    .epilogue(MODELS_EPILOGUE) as unknown as Argv<GenerateArgs>;
}

/** The speculator config of one --speculator kind: its defaults, the values of its flags, checked by its schema. */
function speculatorFromArgs(kind: string, args: GenerateArgs): SpeculatorConfig {
  const def = speculatorDefinition(kind);
  return parseByFlags('speculator', def.schema, { ...def.defaults(), ...flagFields('speculator', kind, args, READERS), kind }, args);
}

/**
 * The run-level policy: --policy, else the one kind whose own flags are
 * given (e.g. static for --expansion), with its flags; else, when only
 * flags several kinds share are given (e.g. --depth), the speculator's own
 * policy with them (as --set policy.NAME does); else none (each speculator's own).
 */
function policyFromArgs(args: GenerateArgs, speculator: SpeculatorConfig): PolicyConfig | undefined {
  const implied = kindsOfGivenFlags('policy', args, READERS);
  const kinds = [...new Set(implied.map((i) => i.kind))];
  if (args.policy === undefined && kinds.length > 1) {
    throw new ConfigError(`flags of several tree policies are given (${implied.map((i) => `--${i.flag}: ${i.kind}`).join(', ')}); choose one with --policy`);
  }
  const chosen = args.policy ?? (kinds.length === 1 ? kinds[0] : undefined);
  const base = chosen !== undefined ? policyConfig(chosen as PolicyKind) : sharedFlagGiven('policy', args) ? resolvePolicy(speculator, undefined) : undefined;
  if (base === undefined) return undefined;
  checkFlagsApply('policy', [base.kind], args, READERS, 'choose the tree policy with --policy');
  const cfg = { ...base, ...flagFields('policy', base.kind, args, READERS), kind: base.kind };
  return parseByFlags('policy', policyDefinition(base.kind).schema, cfg, args) as PolicyConfig;
}

/** The text of a --reference file. */
function referenceText(file: string): string {
  if (!existsSync(file)) throw new ConfigError(`--reference: file ${path.resolve(file)} not found`);
  return readFileSync(file, 'utf8');
}

/** Turns command-line options into a run spec (the same shape configs use). */
export function specFromArgs(args: GenerateArgs): RunSpec {
  const temperature = args.greedy ? 0 : (args.temperature ?? 0);
  if (args.greedy && args.temperature !== undefined && args.temperature !== 0) {
    throw new ConfigError(`--greedy and --temperature ${args.temperature} contradict each other`);
  }
  const drafts = args.draft as string[] | undefined;
  const kinds = args.speculator.length > 0 ? args.speculator : [drafts !== undefined && drafts.length > 0 ? 'draft-model' : 'none'];
  const parts = kinds.map((k) => speculatorFromArgs(k, args));
  checkFlagsApply('speculator', parts.length === 1 ? kinds : [...kinds, 'hybrid'], args, READERS, 'choose the speculators with --speculator (repeat it for a hybrid)');
  const hybrid = { ...speculatorConfig('hybrid'), ...flagFields('speculator', 'hybrid', args, READERS), parts };
  const speculator = parts.length === 1 ? parts[0] : parseByFlags('speculator', speculatorDefinition('hybrid').schema, hybrid, args);
  const spec: RunSpec = {
    target: args.target,
    targetWeights: args.weights,
    speculator,
    policy: policyFromArgs(args, speculator),
    verifier: { kind: args.verifier ?? (temperature === 0 ? 'greedy' : 'mss') },
    sampling: { temperature, topK: args.topK, topP: args.topP },
    maxNodes: args.maxNodes,
    allowLossy: args.allowLossy,
    engine: { threads: args.threads, executionProviders: args.executionProvider, graph: args.graph, dumpOnnxPath: args.dumpOnnx },
  };
  return applySets(spec, args.set ?? []);
}

/** `specinfer generate`: text to stdout (as without speculation), one stats line to stderr. */
export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Generate text with a target model, with or without speculation',
  builder: options,
  handler: async (args: ArgumentsCamelCase<GenerateArgs>) => {
    const spec = specFromArgs(args);
    // A quantized target's default tree policies follow its measured cost curve (harness/cost-curve.ts).
    const run = await buildRun(spec, freshModels, { file: ENGINE_BENCH_FILE, note: (line) => process.stderr.write(`${line}\n`) });
    const tok = run.tokenizer;
    const prompt = tok.encode(args.prompt, { bos: true });
    const context = run.target.info.maxContext;
    if (prompt.length > context) {
      await run.dispose();
      throw new EngineError(`${spec.target}: the prompt has ${prompt.length} tokens but the model's context is ${context}; shorten the prompt`);
    }
    const stream = args.batchSize === 1 ? new TokenPrinter(tok, prompt) : null;
    const references = args.reference.map((f) => tok.encode(referenceText(f), { bos: false }));
    const requests = Array.from({ length: args.batchSize }, (_, i) => ({ prompt, rng: createRng(args.seed).fork(`request-${i}`), references }));
    const { outputs, records } = await decodeSpeculative(run.target, run.speculator, run.verifier, requests, {
      maxTokens: args.maxTokens,
      stopTokens: [tok.bosId, tok.eosId],
      sampling: spec.sampling,
      maxNodes: args.maxNodes,
      allowLossy: !run.exact,
      onTokens: (_, tokens) => stream?.write(tokens),
    });
    if (stream) stream.end();
    else for (const o of outputs) process.stdout.write(decodeText(tok, [...prompt, ...o.tokens]) + '\n');
    outputs.forEach((o, i) => process.stderr.write(stopLine(o, i, outputs.length, args.maxTokens, context)));
    process.stderr.write(formatStats(summarize(records)) + '\n');
    await run.dispose();
  },
};

/** Why a request stopped short of --max-tokens, as a line for stderr ('' when it did not). */
function stopLine(o: RequestOutput, index: number, requests: number, maxTokens: number, context: number): string {
  if (o.stop === 'max-tokens') return '';
  const why = o.stop === 'eos' ? 'end of text (a stop token)' : `context full (${context} tokens)`;
  return `${requests > 1 ? `request ${index}: ` : ''}stopped: ${why} after ${o.tokens.length} of ${maxTokens} tokens\n`;
}

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
