import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { GRAPH_KINDS, type GraphKind } from '../model/graph/llama-graph.js';
import { QUANT_TYPES, type WeightsType } from '../model/formats/quant.js';
import { ConfigError, EngineError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { decodeSpeculative, type RequestOutput } from '../decode/speculative.js';
import { buildRun, freshModels, type RunSpec } from '../harness/components.js';
import { ENGINE_BENCH_FILE, readForwardLatency } from '../harness/latency.js';
import { decodeText } from '../model/formats/tokenizer.js';
import { formatStats, summarize } from '../report/metrics.js';
import { SPECULATOR_DEFAULTS, SPECULATOR_KINDS, speculatorConfig, type SpeculatorConfig, type SpeculatorKind } from '../speculators/registry.js';
import { POLICY_DEFAULTS, POLICY_KINDS, policyConfig, type PolicyConfig, type PolicyKind } from '../tree/policies.js';
import { VERIFIER_KINDS, type VerifierKind } from '../verifiers/index.js';
import { MODELS_EPILOGUE } from './help.js';
import { numberCheck } from './numbers.js';
import { applySets } from './set-option.js';

const QUANT_CHOICES: readonly WeightsType[] = ['f32', ...QUANT_TYPES];

interface GenerateArgs {
  target: string;
  prompt: string;
  maxTokens: number;
  greedy: boolean;
  draft: string[];
  speculator: string[];
  hybrid: 'merge' | 'switch';
  hybridMinMatch?: number;
  draftLayers?: number;
  gsdContext?: number;
  ngramMinN?: number;
  ngramMaxN?: number;
  ngramMaxTokens?: number;
  ngramBranches?: number;
  suffixMaxDepth?: number;
  suffixSpecFactor?: number;
  suffixMinProb?: number;
  retrievalCorpus?: string;
  retrievalMaxDepth?: number;
  reference: string[];
  recycleK?: number;
  policy?: PolicyKind;
  expansion?: string;
  depth?: number;
  dynamicTopK?: number;
  dynamicBeam?: number;
  dynamicSearch?: 'level' | 'best-first';
  pSplit?: number;
  sequoiaAcceptance?: string;
  sequoiaLatency?: string;
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
  draftWeights?: WeightsType;
  set: string[];
}

const CLI_SPECULATORS = SPECULATOR_KINDS.filter((k) => k !== 'hybrid');
const S = SPECULATOR_DEFAULTS;
const P = POLICY_DEFAULTS;

/** The numeric options and what each accepts. */
const NUMBER_OPTIONS = {
  'max-tokens': 'positive-int',
  'hybrid-min-match': 'positive-int',
  'draft-layers': 'positive-int',
  'gsd-context': 'positive-int',
  'ngram-min-n': 'positive-int',
  'ngram-max-n': 'positive-int',
  'ngram-max-tokens': 'positive-int',
  'ngram-branches': 'positive-int',
  'suffix-max-depth': 'positive-int',
  'suffix-spec-factor': 'positive',
  'suffix-min-prob': 'fraction',
  'recycle-k': 'positive-int',
  depth: 'positive-int',
  'dynamic-top-k': 'positive-int',
  'dynamic-beam': 'count',
  'p-split': 'fraction',
  'max-nodes': 'count',
  temperature: 'non-negative',
  'top-k': 'count',
  'top-p': 'mass',
  seed: 'count',
  'batch-size': 'positive-int',
  threads: 'count',
} as const;

function options(y: Argv): Argv<GenerateArgs> {
  return y
    .option('target', { type: 'string', demandOption: true, describe: 'model name under SPECINFER_MODELS, a path, or random:tiny / random:stories110M' })
    .option('prompt', { type: 'string', default: '', describe: 'prompt text (BOS is always prepended)' })
    .option('max-tokens', { type: 'number', default: 256, describe: 'maximum number of generated tokens' })
    .option('greedy', { type: 'boolean', default: false, describe: 'argmax decoding (same as --temperature 0, the default)' })
    .option('draft', { type: 'string', array: true, default: [], describe: 'draft model (SSM); repeat for a merge-based tree' })
    .option('speculator', { choices: CLI_SPECULATORS, array: true, default: [], describe: 'speculator kind; repeat for a hybrid (default draft-model with --draft, else none)' })
    .option('hybrid', { choices: ['merge', 'switch'] as const, default: 'merge' as const, describe: 'several speculators: one merged tree, or one speculator per step' })
    .option('hybrid-min-match', { type: 'number', describe: `switch: match length a model-free speculator needs to be used (default ${S.hybrid.minMatch})` })
    .option('gsd-context', { type: 'number', describe: `gsd: rows whose last N tokens are equal share one draft row (default ${S.gsd.context})` })
    .option('draft-layers', { type: 'number', describe: `layer-skip: the target layers the self-draft keeps (default ${S['layer-skip'].layers})` })
    .option('ngram-min-n', { type: 'number', describe: `ngram: shortest n-gram matched (default ${S.ngram.minN})` })
    .option('ngram-max-n', { type: 'number', describe: `ngram: longest n-gram matched (default ${S.ngram.maxN})` })
    .option('ngram-max-tokens', { type: 'number', describe: `ngram: longest proposed continuation (default ${S.ngram.maxTokens})` })
    .option('ngram-branches', { type: 'number', describe: `ngram: continuations per node at most (default ${S.ngram.maxBranches})` })
    .option('suffix-max-depth', { type: 'number', describe: `suffix: longest suffix matched (default ${S.suffix.maxDepth})` })
    .option('suffix-spec-factor', { type: 'number', describe: `suffix: tree nodes per matched token (default ${S.suffix.maxSpecFactor})` })
    .option('suffix-min-prob', { type: 'number', describe: `suffix: path probability floor (default ${S.suffix.minTokenProb})` })
    .option('retrieval-corpus', { type: 'string', describe: 'retrieval: corpus file (text, documents separated by blank lines; or .jsonl of {"text": ...})' })
    .option('retrieval-max-depth', { type: 'number', describe: `retrieval: longest suffix matched (default ${S.retrieval.maxDepth})` })
    .option('reference', { type: 'string', array: true, default: [], describe: 'a file whose text is a reference document of the request (retrieval); repeat for several' })
    .option('recycle-k', { type: 'number', describe: `recycle: top-k next tokens kept per token (default ${S.recycle.k})` })
    .option('policy', { choices: POLICY_KINDS, describe: "tree policy (default: the speculator's own; static with --expansion)" })
    .option('expansion', { type: 'string', describe: `static policy: tree expansion k1,...,km (default ${P.static.expansion.join(',')})` })
    .option('depth', { type: 'number', describe: 'chain, dynamic, p-split and sequoia policies: deepest level' })
    .option('dynamic-top-k', { type: 'number', describe: `dynamic policy: candidates per expanded node (default ${P.dynamic.topK})` })
    .option('dynamic-beam', { type: 'number', describe: `dynamic policy: nodes expanded per level (default ${P.dynamic.beam}; 0 = the budget)` })
    .option('dynamic-search', { choices: ['level', 'best-first'] as const, describe: `dynamic policy: per level (EAGLE-2) or one global heap (SpecExec) (default ${P.dynamic.search})` })
    .option('p-split', { type: 'number', describe: `p-split policy: branch when the runner-up probability exceeds this (default ${P['p-split'].pSplit})` })
    .option('sequoia-acceptance', { type: 'string', describe: 'sequoia policy: per-rank acceptance p1,p2,... (default: measured for stories260K-ssm-m)' })
    .option('sequoia-latency', { type: 'string', describe: 'sequoia policy: engine benchmark JSON (forwardMs) for a hardware-aware shape' })
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
    .option('graph', { choices: GRAPH_KINDS, default: 'fused', describe: 'fused onnxruntime kernels, or the plain-ONNX reference graph' })
    .option('weights', { choices: QUANT_CHOICES, describe: "target's layer matrices: f32, or quantized at load to q8_0 / q4_0 (default: as stored)" })
    .option('draft-weights', { choices: QUANT_CHOICES, describe: "draft models' layer matrices: f32, q8_0 or q4_0 (default: as stored)" })
    .option('set', {
      type: 'string',
      array: true,
      default: [],
      describe: 'any speculator or tree policy option, KEY=VALUE, e.g. speculator.maxDepth=4 or policy.depth=6 (repeatable; options in docs/options.md)',
    })
    .option('dump-onnx', { type: 'string', describe: 'also write the target ONNX graph to this file' })
    .check(numberCheck(NUMBER_OPTIONS))
    .epilogue(MODELS_EPILOGUE) as unknown as Argv<GenerateArgs>;
}

/** Comma-separated numbers of an option, checked by `ok`. */
function numberList(text: string, option: string, ok: (v: number) => boolean, example: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !ok(v))) throw new ConfigError(`--${option} must be a list like ${example}, got '${text}'`);
  return values;
}

/** The speculator config of one --speculator kind, with the per-kind options. */
function speculatorFromArgs(kind: SpeculatorKind, args: GenerateArgs): SpeculatorConfig {
  switch (kind) {
    case 'draft-model':
      if (args.draft.length === 0) throw new ConfigError('--speculator draft-model needs --draft MODEL (repeat it for several SSMs)');
      return speculatorConfig('draft-model', { models: args.draft, weights: args.draftWeights });
    case 'gsd':
      if (args.draft.length === 0) throw new ConfigError('--speculator gsd needs --draft MODEL (repeat it for several SSMs)');
      return speculatorConfig('gsd', { models: args.draft, weights: args.draftWeights, context: args.gsdContext });
    case 'layer-skip':
      return speculatorConfig('layer-skip', { layers: args.draftLayers });
    case 'ngram':
      return speculatorConfig('ngram', { minN: args.ngramMinN, maxN: args.ngramMaxN, maxTokens: args.ngramMaxTokens, maxBranches: args.ngramBranches });
    case 'suffix':
      return speculatorConfig('suffix', { maxDepth: args.suffixMaxDepth, maxSpecFactor: args.suffixSpecFactor, minTokenProb: args.suffixMinProb });
    case 'retrieval':
      return speculatorConfig('retrieval', { corpus: args.retrievalCorpus, maxDepth: args.retrievalMaxDepth });
    case 'recycle':
      return speculatorConfig('recycle', { k: args.recycleK });
    default:
      return speculatorConfig(kind);
  }
}

/** The run-level policy: --policy with its options, static for a bare --expansion, else none (each speculator's own). */
function policyFromArgs(args: GenerateArgs, model: string): PolicyConfig | undefined {
  const kind = args.policy ?? (args.expansion !== undefined ? 'static' : undefined);
  const depth = args.depth;
  switch (kind) {
    case undefined:
      return undefined;
    case 'static': {
      const expansion = args.expansion === undefined ? undefined : numberList(args.expansion, 'expansion', (k) => Number.isInteger(k) && k >= 1, '1,1,3,1');
      return policyConfig('static', { expansion });
    }
    case 'chain':
      return policyConfig('chain', { depth });
    case 'dynamic':
      return policyConfig('dynamic', { depth, topK: args.dynamicTopK, beam: args.dynamicBeam, search: args.dynamicSearch });
    case 'p-split':
      return policyConfig('p-split', { depth, pSplit: args.pSplit });
    case 'sequoia': {
      const acceptance = args.sequoiaAcceptance === undefined ? undefined : numberList(args.sequoiaAcceptance, 'sequoia-acceptance', (v) => v >= 0 && v <= 1, '0.6,0.15,0.05');
      const hardware = args.sequoiaLatency === undefined ? undefined : { forwardMs: readForwardLatency(args.sequoiaLatency, model, args.threads, args.weights ?? 'f32'), draftMsPerLevel: 0 };
      return policyConfig('sequoia', { depth, acceptance, hardware });
    }
  }
}

/** The text of a --reference file. */
function referenceText(file: string): string {
  if (!existsSync(file)) throw new ConfigError(`--reference: file ${path.resolve(file)} not found`);
  return readFileSync(file, 'utf8');
}

/** Turns command-line options into a run spec (the same shape configs use). */
function specFromArgs(args: GenerateArgs): RunSpec {
  const temperature = args.greedy ? 0 : (args.temperature ?? 0);
  if (args.greedy && args.temperature !== undefined && args.temperature !== 0) {
    throw new ConfigError(`--greedy and --temperature ${args.temperature} contradict each other`);
  }
  const kinds = (args.speculator.length > 0 ? args.speculator : [args.draft.length > 0 ? 'draft-model' : 'none']) as SpeculatorKind[];
  const parts = kinds.map((k) => speculatorFromArgs(k, args));
  const speculator = parts.length === 1 ? parts[0] : speculatorConfig('hybrid', { mode: args.hybrid, minMatch: args.hybridMinMatch, parts });
  const spec: RunSpec = {
    target: args.target,
    targetWeights: args.weights,
    speculator,
    policy: policyFromArgs(args, args.target),
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
