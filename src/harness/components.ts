import { ConfigError } from '../core/errors.js';
import type { Model } from '../core/model.js';
import { EngineModel, type EngineOptions } from '../engine/model.js';
import { loadModel, type LoadedModel } from '../model/models.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { createSpeculator, resolvePolicy, type SpeculatorConfig } from '../speculators/registry.js';
import type { Speculator } from '../speculators/types.js';
import type { TreeTraits } from '../tree/draft-tree.js';
import { createPolicy, type PolicyConfig } from '../tree/policies.js';
import { checkSampling, createVerifier, type VerifierKind } from '../verifiers/index.js';
import type { SamplingParams, Verifier } from '../verifiers/types.js';

export type { SpeculatorConfig } from '../speculators/registry.js';
export type { PolicyConfig } from '../tree/policies.js';
export { createPolicy };

/** Everything one decoding run needs, by kind tags and options (the shape YAML configs will take). */
export interface RunSpec {
  readonly target: string;
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
  /** Whether the verifier is exact for this combination (false only with allowLossy). */
  readonly exact: boolean;
  dispose(): Promise<void>;
}

/**
 * Checks a spec and builds its components. Everything that can be known
 * before decoding is checked here: sampling ranges, policy and speculator
 * options, draft vocabularies against the target's, and the verifier's
 * exactness for the trees the speculator builds.
 */
export async function buildRun(spec: RunSpec): Promise<Run> {
  const sampling = checkSampling(spec.sampling);
  if (!Number.isInteger(spec.maxNodes) || spec.maxNodes < 0) throw new ConfigError(`maxNodes must be a non-negative integer, got ${spec.maxNodes}`);
  const verifier = createVerifier(spec.verifier.kind);
  checkPolicies(spec.speculator, spec.policy);
  const targetFile = await loadModel(spec.target);
  const target = await engineModel(targetFile, spec.engine);
  const created: Model[] = [];
  try {
    const speculator = await buildSpeculator(spec, targetFile, created);
    const exact = checkExactness(speculator.treeTraits(sampling), verifier, sampling, spec.allowLossy);
    const dispose = async () => {
      await speculator.dispose();
      await target.dispose();
    };
    return { target, tokenizer: targetFile.tokenizer, speculator, verifier, exact, dispose };
  } catch (e) {
    await Promise.all([...created, target].map((m) => m.dispose()));
    throw e;
  }
}

/** Builds every policy named or implied (before any model is loaded), so option errors come first. */
function checkPolicies(cfg: SpeculatorConfig, runPolicy: PolicyConfig | undefined): void {
  if (cfg.kind === 'hybrid') for (const p of cfg.parts) checkPolicies(p, runPolicy);
  else if (cfg.kind !== 'none') createPolicy(resolvePolicy(cfg, runPolicy));
}

/** The speculator of a spec; engine models it creates are pushed to `created` (disposed on failure). */
function buildSpeculator(spec: RunSpec, targetFile: LoadedModel, created: Model[]): Promise<Speculator> {
  const build = (cfg: SpeculatorConfig): Promise<Speculator> =>
    createSpeculator(cfg, {
      policy: createPolicy(resolvePolicy(cfg, spec.policy)),
      vocabSize: targetFile.weights.config.vocabSize,
      draftModels: async (refs) => {
        const files = await Promise.all(refs.map(loadModel));
        for (const d of files) checkVocabulary(targetFile, d);
        const models = await Promise.all(files.map((d) => engineModel(d, spec.engine)));
        created.push(...models);
        return models;
      },
      layerSkipModel: async (layers) => {
        const m = await layerSkipModel(targetFile, layers, spec.engine);
        created.push(m);
        return m;
      },
      build,
    });
  return build(spec.speculator);
}

function engineModel(m: LoadedModel, opts: EngineOptions): Promise<EngineModel> {
  return EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] }, opts);
}

/** The target's first `layers` layers + final norm + classifier as a draft (the same weight arrays). */
export function layerSkipModel(target: LoadedModel, layers: number, opts: EngineOptions): Promise<EngineModel> {
  const total = target.weights.config.nLayers;
  if (!Number.isInteger(layers) || layers < 1 || layers > total) {
    throw new ConfigError(`layer-skip: layers must be an integer in 1..${total} (the target ${target.id} has ${total} layers), got ${layers}`);
  }
  const src = { id: `${target.id}[:${layers}]`, weights: target.weights, bosId: target.tokenizer.bosId, eosIds: [target.tokenizer.eosId] };
  return EngineModel.create(src, { ...opts, layers, dumpOnnxPath: undefined });
}

function checkVocabulary(target: LoadedModel, draft: LoadedModel): void {
  if (draft.weights.config.vocabSize !== target.weights.config.vocabSize) {
    throw new ConfigError(
      `draft ${draft.id} (${draft.path}) has a vocabulary of ${draft.weights.config.vocabSize} tokens but the target ${target.id} has ` +
        `${target.weights.config.vocabSize}; a draft model must share the target's tokenizer`,
    );
  }
}

/** The verifier must be exact for the trees the speculator builds, unless allowLossy. */
function checkExactness(traits: TreeTraits, verifier: Verifier, sampling: SamplingParams, allowLossy: boolean): boolean {
  const exact = verifier.exactFor(traits, sampling);
  if (!exact && !allowLossy) {
    throw new ConfigError(
      `verifier '${verifier.kind}' is not exact for ${traits.chain ? 'chains' : 'trees'} with ${traits.children} children at temperature ${sampling.temperature}` +
        ` (greedy needs temperature 0; sequence needs a chain from one proposer); pick another verifier or allow lossy decoding (--allow-lossy)`,
    );
  }
  return exact;
}
