import { ConfigError } from '../core/errors.js';
import type { Model } from '../core/model.js';
import { EngineModel, type EngineOptions } from '../engine/model.js';
import { requestRowBound } from '../engine/sessions.js';
import { loadModelAs, type LoadedModel } from '../model/models.js';
import type { WeightsType } from '../model/formats/quant.js';
import type { Matrix } from '../model/weights.js';
import type { Tokenizer } from '../model/formats/tokenizer.js';
import { layerSkipProblem } from '../speculators/kinds/layer-skip.js';
import { createSpeculator, resolvedNodes, resolveSpeculator, type ResolvedSpeculator, type SpeculatorConfig } from '../speculators/registry.js';
import { traitsWith } from '../speculators/traits.js';
import type { Speculator } from '../speculators/types.js';
import type { TreeTraits } from '../tree/draft-tree.js';
import { createPolicy, type PolicyConfig } from '../tree/policies.js';
import type { DrawOptions, TreePolicy } from '../tree/policy.js';
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

/**
 * A spec resolved and checked once, before any model is read: every policy
 * resolved (a speculator's own, else the run's, else its kind's default)
 * and built with the verifier's draw options, the verifier, the trees'
 * traits and the verifier's exactness for them. Building consumes it and
 * never resolves again.
 */
export interface RunPlan {
  readonly spec: RunSpec;
  readonly sampling: SamplingParams;
  readonly verifier: Verifier;
  /** The speculator with its (and its parts') policy configs resolved. */
  readonly speculator: ResolvedSpeculator;
  /** The trees the speculator will build (from its config). */
  readonly traits: TreeTraits;
  /** Whether the verifier is exact for them; false only with allowLossy. */
  readonly exact: boolean;
  /** Why it is not exact ('' when exact). */
  readonly lossyReason: string;
  /**
   * The built tree policy of a config of the speculator (it or one of its
   * parts, by identity); with `tune`, built anew from the tuned config when
   * tuning changes it (a quantized target's cost curve, known once it is loaded).
   */
  policyOf(cfg: SpeculatorConfig, tune?: PolicyTuning): TreePolicy;
}

/**
 * Resolves a spec and checks everything that needs no model: sampling
 * ranges, the node budget, the verifier kind, every policy named or implied,
 * and the verifier's exactness for the trees the speculator's config builds
 * (an error unless allowLossy). buildRun and config-file validation both use it.
 */
export function checkRunSpec(spec: RunSpec): RunPlan {
  const sampling = checkSampling(spec.sampling);
  if (!Number.isInteger(spec.maxNodes) || spec.maxNodes < 0) throw new ConfigError(`maxNodes must be a non-negative integer, got ${spec.maxNodes}`);
  const verifier = createVerifier(spec.verifier.kind);
  const speculator = resolveSpeculator(spec.speculator, spec.policy);
  const draws: DrawOptions = { withoutReplacement: verifierDefinition(verifier.kind).withoutReplacement };
  const policies = new Map(resolvedNodes(speculator).map((n) => [n.config, { config: n.policy, isDefault: n.policyIsDefault, built: createPolicy(n.policy, draws) }] as const));
  const policyOf = (cfg: SpeculatorConfig, tune: PolicyTuning = (p) => p): TreePolicy => {
    const policy = policies.get(cfg);
    if (policy === undefined) throw new ConfigError(`speculator '${cfg.kind}' was built as a part that its composite's definition does not list in parts()`);
    const tuned = tune(policy.config, policy.isDefault);
    return tuned === policy.config ? policy.built : createPolicy(tuned, draws);
  };
  const traits = traitsWith(spec.speculator, sampling, policyOf);
  const lossyReason = exactnessProblem(traits, verifier, sampling) ?? '';
  if (lossyReason !== '' && !spec.allowLossy) throw new ConfigError(`${lossyReason}; pick another verifier or allow lossy decoding (--allow-lossy)`);
  return { spec, sampling, verifier, speculator, traits, exact: lossyReason === '', lossyReason, policyOf };
}

/**
 * Checks a spec and builds its components (checkRunSpec, then
 * buildPlannedRun). Everything that can be known before decoding is
 * checked: sampling ranges, policy and speculator options, draft
 * vocabularies against the target's, and the verifier's exactness for the
 * trees the speculator builds. With `costCurve`, a quantized target's
 * default tree policies follow its measured cost curve (cost-curve.ts).
 */
export function buildRun(spec: RunSpec, models: ModelProvider = freshModels, costCurve?: CostCurveSource): Promise<Run> {
  return buildPlannedRun(checkRunSpec(spec), models, costCurve);
}

/** Builds the components of a checked plan: loads the models, creates the speculator with the plan's policies (tuned by `costCurve` as buildRun says). */
export async function buildPlannedRun(plan: RunPlan, models: ModelProvider = freshModels, costCurve?: CostCurveSource): Promise<Run> {
  const { spec, verifier, exact, sampling } = plan;
  const targetFile = await models.load(spec.target, spec.targetWeights);
  checkTreeRows(targetFile, spec);
  const target = await models.engine(targetFile, spec.engine);
  const created: Model[] = [];
  try {
    const tune = costCurveTuning({ ref: spec.target, id: targetFile.id, weights: targetFile.weights, threads: spec.engine.threads, maxNodes: spec.maxNodes }, costCurve);
    const speculator = await buildSpeculator(plan, targetFile, models, created, tune);
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

/** The speculator of a checked plan without the target's engine model (replays against a trace). */
export async function buildSpeculatorOnly(plan: RunPlan, models: ModelProvider = freshModels): Promise<Speculator> {
  const created: Model[] = [];
  try {
    return await buildSpeculator(plan, await models.load(plan.spec.target), models, created);
  } catch (e) {
    await Promise.all(created.map((m) => m.dispose()));
    throw e;
  }
}

/** The speculator of a plan; engine models it owns are pushed to `created` (disposed on failure); `tune` fills in policy defaults (cost-curve.ts). */
function buildSpeculator(plan: RunPlan, targetFile: LoadedModel<Matrix>, models: ModelProvider, created: Model[], tune?: PolicyTuning): Promise<Speculator> {
  const { spec } = plan;
  const own = (m: EngineModel): Model => {
    if (models.shared) return borrowed(m);
    created.push(m);
    return m;
  };
  const build = (cfg: SpeculatorConfig): Promise<Speculator> =>
    createSpeculator(cfg, {
      policy: plan.policyOf(cfg, tune),
      vocabSize: targetFile.weights.config.vocabSize,
      encode: (text) => targetFile.tokenizer.encode(text, { bos: false }),
      draftModels: async (refs, weights) => {
        const files = await Promise.all(refs.map((r) => models.load(r, weights)));
        for (const d of files) {
          checkVocabulary(targetFile, d);
          checkTreeRows(d, spec);
        }
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

/** Refuses a node budget whose trees (root included) have more rows than one forward of `m` computes per request. */
function checkTreeRows(m: LoadedModel<Matrix>, spec: RunSpec): void {
  const bound = requestRowBound(m.weights.config, spec.engine.graph);
  if (spec.maxNodes + 1 > bound) {
    throw new ConfigError(
      `maxNodes ${spec.maxNodes}: a tree of ${spec.maxNodes + 1} rows (root included) exceeds the ${bound} rows one forward of ${m.id} computes per request (${spec.engine.graph ?? 'fused'} graph); set maxNodes to at most ${bound - 1}`,
    );
  }
}

function checkLayers(target: LoadedModel<Matrix>, layers: number): void {
  const problem = layerSkipProblem(target.id, target.weights.config.nLayers, layers);
  if (problem) throw new ConfigError(problem);
}

function checkVocabulary(target: LoadedModel<Matrix>, draft: LoadedModel<Matrix>): void {
  const problem = vocabularyProblem({ id: draft.id, path: draft.path, vocabSize: draft.weights.config.vocabSize }, { id: target.id, vocabSize: target.weights.config.vocabSize });
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
