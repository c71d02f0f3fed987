import { ConfigError } from '../core/errors.js';
import type { Model } from '../core/model.js';
import { EngineModel, type EngineOptions } from '../engine/model.js';
import { loadModelAs, type LoadedModel } from '../model/models.js';
import type { WeightsType } from '../model/formats/quant.js';
import type { Matrix } from '../model/weights.js';
import type { Tokenizer } from '../model/formats/tokenizer.js';
import { createSpeculator, resolvePolicy, type SpeculatorConfig } from '../speculators/registry.js';
import { configTraits } from '../speculators/traits.js';
import type { Speculator } from '../speculators/types.js';
import type { TreeTraits } from '../tree/draft-tree.js';
import { createPolicy, type PolicyConfig } from '../tree/policies.js';
import type { DrawOptions } from '../tree/policy.js';
import { checkSampling, createVerifier, verifierDefinition, type VerifierKind } from '../verifiers/index.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier } from '../verifiers/types.js';
import { costCurveTuning, type CostCurveSource, type PolicyTuning } from './cost-curve.js';

/** Everything one decoding run needs, by kind tags and options (experiment files give one per cell: src/harness/plan.ts runSpec). */
export interface RunSpec {
  readonly target: string;
  /** Storage of the target's layer matrices; absent = as stored. */
  readonly targetWeights?: WeightsType;
  readonly speculator: SpeculatorConfig;
  /** Tree policy of every speculator that names none of its own; absent = each kind's default. */
  readonly policy?: PolicyConfig;
  readonly verifier: { readonly kind: VerifierKind };
  readonly sampling: SamplingParams;
  readonly maxNodes: number;
  /** Accept a verifier that is not exact for the tree kind and sampling. */
  readonly allowLossy: boolean;
  readonly engine: EngineOptions;
}

export interface Run {
  readonly target: EngineModel;
  readonly tokenizer: Tokenizer;
  readonly speculator: Speculator;
  readonly verifier: Verifier;
  /** The sampling the run was checked for (its verifier's exactness depends on it): decode with these. */
  readonly sampling: SamplingParams;
  /** Node budget of every tree. */
  readonly maxNodes: number;
  /** Whether the verifier is exact for this combination (false only with allowLossy). */
  readonly exact: boolean;
  dispose(): Promise<void>;
}

/**
 * Where a run gets its models. The default reads every model afresh and the
 * run owns (disposes) them; the experiment runner passes a cache so that
 * cells of a sweep share loaded models (then `shared` is true and the run
 * disposes none of them).
 */
export interface ModelProvider {
  /** Resolves and reads a model reference, its layer matrices stored as `weights` (absent = as in the file). */
  load(ref: string, weights?: WeightsType): Promise<LoadedModel<Matrix>>;
  /** An engine model of `m`, or of its first `layers` layers (layer-skip drafts). */
  engine(m: LoadedModel<Matrix>, opts: EngineOptions, layers?: number): Promise<EngineModel>;
  readonly shared: boolean;
}

/** Fresh models for every run, owned by it. */
export const freshModels: ModelProvider = {
  load: loadModelAs,
  engine: (m, opts, layers) => engineModel(m, layers === undefined ? opts : { ...opts, layers, dumpOnnxPath: undefined }),
  shared: false,
};

/** What can be checked of a spec before any model is read. */
export interface CheckedSpec {
  readonly sampling: SamplingParams;
  readonly verifier: Verifier;
  /** The trees the speculator will build (from its config). */
  readonly traits: TreeTraits;
  /** Whether the verifier is exact for them; false only with allowLossy. */
  readonly exact: boolean;
  /** Why it is not exact ('' when exact). */
  readonly lossyReason: string;
}

/**
 * Checks everything of a spec that needs no model: sampling ranges, the node
 * budget, the verifier kind, every policy named or implied, and the
 * verifier's exactness for the trees the speculator's config builds (an
 * error unless allowLossy). buildRun and config-file validation both use it.
 */
export function checkRunSpec(spec: RunSpec): CheckedSpec {
  const sampling = checkSampling(spec.sampling);
  if (!Number.isInteger(spec.maxNodes) || spec.maxNodes < 0) throw new ConfigError(`maxNodes must be a non-negative integer, got ${spec.maxNodes}`);
  const verifier = createVerifier(spec.verifier.kind);
  checkPolicies(spec.speculator, spec.policy);
  const traits = configTraits(spec.speculator, spec.policy, sampling, drawOptions(verifier));
  const lossyReason = exactnessProblem(traits, verifier, sampling) ?? '';
  if (lossyReason !== '' && !spec.allowLossy) throw new ConfigError(`${lossyReason}; pick another verifier or allow lossy decoding (--allow-lossy)`);
  return { sampling, verifier, traits, exact: lossyReason === '', lossyReason };
}

/**
 * Checks a spec and builds its components; with `costCurve`, a quantized
 * target's default tree policies follow its measured cost curve (cost-curve.ts). Everything that can be known
 * before decoding is checked here: sampling ranges, policy and speculator
 * options, draft vocabularies against the target's, and the verifier's
 * exactness for the trees the speculator builds.
 */
export async function buildRun(spec: RunSpec, models: ModelProvider = freshModels, costCurve?: CostCurveSource): Promise<Run> {
  const { verifier, exact, sampling } = checkRunSpec(spec);
  const targetFile = await models.load(spec.target, spec.targetWeights);
  const target = await models.engine(targetFile, spec.engine);
  const created: Model[] = [];
  try {
    const tune = costCurveTuning({ ref: spec.target, id: targetFile.id, weights: targetFile.weights, threads: spec.engine.threads, maxNodes: spec.maxNodes }, costCurve);
    const speculator = await buildSpeculator(spec, verifier, targetFile, models, created, tune);
    const dispose = async () => {
      await speculator.dispose();
      if (!models.shared) await target.dispose();
    };
    return { target, tokenizer: targetFile.tokenizer, speculator, verifier, sampling, maxNodes: spec.maxNodes, exact, dispose };
  } catch (e) {
    await Promise.all([...created, ...(models.shared ? [] : [target])].map((m) => m.dispose()));
    throw e;
  }
}

/** The speculator of a spec without the target's engine model (replays against a trace); checks as buildRun. */
export async function buildSpeculatorOnly(spec: RunSpec, models: ModelProvider = freshModels): Promise<Speculator> {
  const { verifier } = checkRunSpec(spec);
  const created: Model[] = [];
  try {
    return await buildSpeculator(spec, verifier, await models.load(spec.target), models, created);
  } catch (e) {
    await Promise.all(created.map((m) => m.dispose()));
    throw e;
  }
}

/** Builds every policy named or implied (before any model is loaded), so option errors come first. */
function checkPolicies(cfg: SpeculatorConfig, runPolicy: PolicyConfig | undefined): void {
  if (cfg.kind === 'hybrid') for (const p of cfg.parts) checkPolicies(p, runPolicy);
  else if (cfg.kind !== 'none') createPolicy(resolvePolicy(cfg, runPolicy));
}

/** What the tree policies must do for `verifier` (createPolicy's draw options). */
function drawOptions(verifier: Verifier): DrawOptions {
  return { withoutReplacement: verifier.withoutReplacement ?? false };
}

/** The speculator of a spec; engine models it owns are pushed to `created` (disposed on failure); `tune` fills in policy defaults (cost-curve.ts). */
function buildSpeculator(
  spec: RunSpec,
  verifier: Verifier,
  targetFile: LoadedModel<Matrix>,
  models: ModelProvider,
  created: Model[],
  tune: PolicyTuning = (p) => p,
): Promise<Speculator> {
  const own = (m: EngineModel): Model => {
    if (models.shared) return borrowed(m);
    created.push(m);
    return m;
  };
  const build = (cfg: SpeculatorConfig): Promise<Speculator> =>
    createSpeculator(cfg, {
      policy: createPolicy(tune(resolvePolicy(cfg, spec.policy)), drawOptions(verifier)),
      vocabSize: targetFile.weights.config.vocabSize,
      encode: (text) => targetFile.tokenizer.encode(text, { bos: false }),
      draftModels: async (refs, weights) => {
        const files = await Promise.all(refs.map((r) => models.load(r, weights)));
        for (const d of files) checkVocabulary(targetFile, d);
        // Draft models are small: one intra-op thread. More would spin against the target's
        // threads on the same cores (measured: 2-thread SSMs made 2-thread speculation slower).
        const engines = await Promise.all(files.map((d) => models.engine(d, { ...spec.engine, threads: 1 })));
        return engines.map(own);
      },
      layerSkipModel: async (layers) => {
        checkLayers(targetFile, layers);
        return own(await models.engine(targetFile, spec.engine, layers));
      },
      build,
    });
  return build(spec.speculator);
}

/** A model whose dispose() does nothing: its owner (a cache) disposes it. */
function borrowed(m: Model): Model {
  return { info: m.info, open: (p) => m.open(p), scoreBatch: (s, t) => m.scoreBatch(s, t), dispose: async () => {} };
}

function engineModel(m: LoadedModel<Matrix>, opts: EngineOptions): Promise<EngineModel> {
  return EngineModel.create({ id: opts.layers === undefined ? m.id : `${m.id}[:${opts.layers}]`, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] }, opts);
}

function checkLayers(target: LoadedModel<Matrix>, layers: number): void {
  const problem = layerSkipProblem(target.id, target.weights.config.nLayers, layers);
  if (problem) throw new ConfigError(problem);
}

/** Why a layer-skip draft of `layers` layers of a target with `total` layers is impossible, or undefined. */
export function layerSkipProblem(targetId: string, total: number, layers: number): string | undefined {
  if (Number.isInteger(layers) && layers >= 1 && layers <= total) return undefined;
  return `layer-skip: layers must be an integer in 1..${total} (the target ${targetId} has ${total} layers), got ${layers}`;
}

function checkVocabulary(target: LoadedModel<Matrix>, draft: LoadedModel<Matrix>): void {
  const problem = vocabularyProblem(
    { id: draft.id, path: draft.path, vocabSize: draft.weights.config.vocabSize },
    { id: target.id, vocabSize: target.weights.config.vocabSize },
  );
  if (problem) throw new ConfigError(problem);
}

/** Why a draft cannot serve a target (different vocabulary sizes), or undefined. */
export function vocabularyProblem(
  draft: { readonly id: string; readonly path: string; readonly vocabSize: number },
  target: { readonly id: string; readonly vocabSize: number },
): string | undefined {
  if (draft.vocabSize === target.vocabSize) return undefined;
  return (
    `draft ${draft.id} (${draft.path}) has a vocabulary of ${draft.vocabSize} tokens but the target ${target.id} has ` +
    `${target.vocabSize}; a draft model must share the target's tokenizer`
  );
}

/** Why `verifier` is not exact for such trees at these sampling parameters, or undefined when it is. */
function exactnessProblem(traits: TreeTraits, verifier: Verifier, sampling: SamplingParams): string | undefined {
  if (verifier.exactFor(traits, sampling)) return undefined;
  return (
    `verifier '${verifier.kind}' is not exact for ${traits.chain ? 'chains' : 'trees'} with ${traits.children} children at temperature ${sampling.temperature}` +
    ` (${verifierDefinition(verifier.kind).needs})`
  );
}
