import { ConfigError } from '../core/errors.js';
import { EngineModel, type EngineOptions } from '../engine/model.js';
import { loadModel, type LoadedModel } from '../model/models.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { DraftModelSpeculator } from '../speculators/draft-model.js';
import { NoSpeculator } from '../speculators/none.js';
import type { Speculator } from '../speculators/types.js';
import type { TreePolicy } from '../tree/policy.js';
import { StaticExpansionPolicy } from '../tree/static-expansion.js';
import { checkSampling, createVerifier, type VerifierKind } from '../verifiers/index.js';
import type { SamplingParams, Verifier } from '../verifiers/types.js';

export type SpeculatorConfig = { readonly kind: 'none' } | { readonly kind: 'draft-model'; readonly models: readonly string[] };

export type PolicyConfig =
  | { readonly kind: 'static'; readonly expansion: readonly number[]; readonly children?: 'auto' | 'sample' | 'top-k' }
  | { readonly kind: 'chain'; readonly depth: number; readonly children?: 'auto' | 'sample' | 'top-k' };

/** Everything one decoding run needs, by kind tags and options (the shape YAML configs will take). */
export interface RunSpec {
  readonly target: string;
  readonly speculator: SpeculatorConfig;
  readonly policy: PolicyConfig;
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

export function createPolicy(cfg: PolicyConfig): TreePolicy {
  const expansion = cfg.kind === 'chain' ? Array.from({ length: cfg.depth }, () => 1) : cfg.expansion;
  return new StaticExpansionPolicy({ expansion, children: cfg.children });
}

/**
 * Checks a spec and builds its components. Everything that can be known
 * before decoding is checked here: sampling ranges, draft vocabularies
 * against the target's, and the verifier's exactness for the tree kind.
 */
export async function buildRun(spec: RunSpec): Promise<Run> {
  const sampling = checkSampling(spec.sampling);
  if (!Number.isInteger(spec.maxNodes) || spec.maxNodes < 0) throw new ConfigError(`maxNodes must be a non-negative integer, got ${spec.maxNodes}`);
  const policy = createPolicy(spec.policy);
  const verifier = createVerifier(spec.verifier.kind);
  const exact = checkExactness(spec, policy, verifier, sampling);
  const targetFile = await loadModel(spec.target);
  const drafts = spec.speculator.kind === 'draft-model' ? await Promise.all(spec.speculator.models.map(loadModel)) : [];
  for (const d of drafts) checkVocabulary(targetFile, d);
  const target = await engineModel(targetFile, spec.engine);
  const speculator: Speculator =
    drafts.length > 0 ? new DraftModelSpeculator(await Promise.all(drafts.map((d) => engineModel(d, spec.engine))), policy) : new NoSpeculator();
  return {
    target,
    tokenizer: targetFile.tokenizer,
    speculator,
    verifier,
    exact,
    dispose: async () => {
      await speculator.dispose();
      await target.dispose();
    },
  };
}

function engineModel(m: LoadedModel, opts: EngineOptions): Promise<EngineModel> {
  return EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] }, opts);
}

function checkVocabulary(target: LoadedModel, draft: LoadedModel): void {
  if (draft.weights.config.vocabSize !== target.weights.config.vocabSize) {
    throw new ConfigError(
      `draft ${draft.id} (${draft.path}) has a vocabulary of ${draft.weights.config.vocabSize} tokens but the target ${target.id} has ` +
        `${target.weights.config.vocabSize}; a draft model must share the target's tokenizer`,
    );
  }
}

/** The verifier must be exact for the trees this speculator and policy build, unless allowLossy. */
function checkExactness(spec: RunSpec, policy: TreePolicy, verifier: Verifier, sampling: SamplingParams): boolean {
  const proposes = spec.speculator.kind !== 'none';
  const merged = spec.speculator.kind === 'draft-model' && spec.speculator.models.length > 1;
  const traits = {
    children: proposes ? policy.childMode(sampling) : ('none' as const),
    chain: !proposes || (policy.chain && !merged),
  };
  const exact = verifier.exactFor(traits, sampling);
  if (!exact && !spec.allowLossy) {
    throw new ConfigError(
      `verifier '${verifier.kind}' is not exact for ${traits.chain ? 'chains' : 'trees'} with ${traits.children} children at temperature ${sampling.temperature}` +
        ` (greedy needs temperature 0; sequence needs a chain from one proposer); pick another verifier or allow lossy decoding (--allow-lossy)`,
    );
  }
  return exact;
}
