/**
 * The library entry point: `import { openRun, generate } from 'specinfer-ts'`.
 * The short path is openRun (a target, a speculator, defaults for the rest)
 * then generate (one prompt, its text, tokens and step statistics); the
 * experiment runner behind `specinfer run` is openExperiment + runExperiment.
 * Everything exported here is the public API; docs/api.md documents it.
 */
import { createRng } from './core/rng.js';
import type { StepRecord, StopReason } from './decode/records.js';
import { decodeSpeculative } from './decode/speculative.js';
import { buildRun, type Run } from './harness/components.js';
import type { WeightsType } from './model/formats/quant.js';
import { decodeText } from './model/formats/tokenizer.js';
import { summarize, type Summary } from './report/metrics.js';
import { speculatorConfig, type SpeculatorConfig, type SpeculatorKind } from './speculators/registry.js';
import type { PolicyConfig } from './tree/policies.js';
import type { VerifierKind } from './verifiers/index.js';
import { GREEDY, type SamplingParams } from './sampling/params.js';

export type { Logits, Model, ModelInfo, Sequence } from './core/model.js';
export { createRng } from './core/rng.js';
export type { Clock, Rng } from './core/types.js';
export { ConfigError, EngineError } from './core/errors.js';
export type { StepRecord, StopReason } from './decode/records.js';
export { decodeSpeculative, type DecodeOptions, type RequestOutput } from './decode/speculative.js';
export { generateIncremental, type GenerationResult, type IncrementalOptions } from './decode/incremental.js';
export { buildPlannedRun, buildRun, checkRunSpec, type Run, type RunPlan, type RunSpec } from './harness/components.js';
export { loadExperiment, openExperiment, type Experiment, type LoadOptions } from './harness/load.js';
export { loadPlugins } from './harness/plugins.js';
export { runExperiment, type RunOptions, type RunResult } from './harness/run.js';
export { cellDetail, renderReport } from './report/run-report.js';
export { summarize, formatStats, type Summary } from './report/metrics.js';
export {
  defineSpeculator,
  registerSpeculator,
  SPECULATOR_DEFINITIONS,
  SPECULATOR_KINDS,
  speculatorConfig,
  type SpeculatorConfig,
  type SpeculatorDefinition,
  type SpeculatorDeps,
  type SpeculatorKind,
  type TraitsContext,
} from './speculators/registry.js';
export { LookupSpeculator, type LookupState } from './speculators/lookup.js';
/** The zod of this package: plugins write their options' schemas with it. */
export { z } from 'zod';
export type { RowProposal } from './tree/policy.js';
export type { TreeShape } from './core/tree-shape.js';
export type { Speculator, SpeculatorSession, StepOutcome } from './speculators/types.js';
export type { DraftTree, TreeTraits } from './tree/draft-tree.js';
export {
  createPolicy,
  definePolicy,
  POLICY_DEFINITIONS,
  POLICY_KINDS,
  policyConfig,
  registerPolicy,
  type PolicyConfig,
  type PolicyDefinition,
  type PolicyKind,
} from './tree/policies.js';
export type { CandidateSource, ChildMode, DrawOptions, GrowContext, TreePolicy } from './tree/policy.js';
export {
  createVerifier,
  defineVerifier,
  GREEDY,
  registerVerifier,
  VERIFIER_DEFINITIONS,
  VERIFIER_KINDS,
  type SamplingParams,
  type Verifier,
  type VerifierDefinition,
  type VerifierKind,
  type VerifyResult,
} from './verifiers/index.js';

export interface OpenOptions {
  /** A model name (e.g. 'stories260K', shipped in models/), a model folder or file, or 'random:NAME'. */
  readonly target: string;
  /** A kind with its defaults ('suffix'), or a full config (speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] })). Default 'none'. */
  readonly speculator?: SpeculatorKind | SpeculatorConfig;
  /** Tree policy of speculators that name none; default each kind's own. */
  readonly policy?: PolicyConfig;
  /** Default: greedy at temperature 0, else mss. */
  readonly verifier?: VerifierKind;
  /** Default greedy: { temperature: 0, topK: 0, topP: 1 }; given fields replace those. */
  readonly sampling?: Partial<SamplingParams>;
  /** Node budget of every tree; default 64. */
  readonly maxNodes?: number;
  /** onnxruntime intra-op threads; default 1 (0 = one per core). */
  readonly threads?: number;
  /** The target's layer matrices: 'f32', or quantized at load ('q8_0', 'q4_0'); default as stored. */
  readonly weights?: WeightsType;
  /** Accept a verifier that is not exact for the trees and sampling; default false (an error). */
  readonly allowLossy?: boolean;
}

/** Loads the models and checks the combination (the same checks as configs); dispose() the run when done. */
export async function openRun(o: OpenOptions): Promise<Run> {
  const sampling = { ...GREEDY, ...o.sampling };
  const speculator = typeof o.speculator === 'string' ? speculatorConfig(o.speculator) : (o.speculator ?? speculatorConfig('none'));
  return buildRun({
    target: o.target,
    targetWeights: o.weights,
    speculator,
    policy: o.policy,
    verifier: { kind: o.verifier ?? (sampling.temperature === 0 ? 'greedy' : 'mss') },
    sampling,
    maxNodes: o.maxNodes ?? 64,
    allowLossy: o.allowLossy ?? false,
    engine: { threads: o.threads ?? 1 },
  });
}

export interface GenerateOptions {
  /** Default 64. Generation also stops at the model's BOS or EOS token. */
  readonly maxTokens?: number;
  /** Seed of the request's random stream (as `specinfer generate --seed`); default 0. */
  readonly seed?: number;
  /** Reference documents given with the request (LLMA; the retrieval speculator copies from them). */
  readonly references?: readonly string[];
}

export interface Generation {
  /** The generated text (the prompt not included). */
  readonly text: string;
  readonly tokens: Int32Array;
  readonly stop: StopReason;
  /** One record per decoding step. */
  readonly records: readonly StepRecord[];
  /** tokensPerStep, acceptance, msPerToken, ... of these records. */
  readonly summary: Summary;
}

/** Decodes one prompt with the run's speculator, verifier, sampling and node budget. */
export async function generate(run: Run, prompt: string, o: GenerateOptions = {}): Promise<Generation> {
  const tok = run.tokenizer;
  const ids = tok.encode(prompt, { bos: true });
  const references = o.references?.map((text) => tok.encode(text, { bos: false }));
  const request = { prompt: ids, rng: createRng(o.seed ?? 0).fork('request-0'), references };
  const { outputs, records } = await decodeSpeculative(run.target, run.speculator, run.verifier, [request], {
    maxTokens: o.maxTokens ?? 64,
    stopTokens: [tok.bosId, tok.eosId],
    sampling: run.sampling,
    maxNodes: run.maxNodes,
    allowLossy: !run.exact,
  });
  const { tokens, stop } = outputs[0];
  return { text: decodeText(tok, [ids[ids.length - 1], ...tokens]), tokens, stop, records, summary: summarize(records) };
}
