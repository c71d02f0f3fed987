import type { WeightsType } from '../model/quant.js';
/**
 * Speculators by kind: their config types (the shape YAML configs take;
 * defined once as zod schemas in schema.ts), defaults (in one place,
 * SPECULATOR_DEFAULTS: the schemas' defaults, with each kind's default tree
 * policy) and factories. A factory gets only its own options plus deps.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { Model } from '../core/model.js';
import { deepFreeze, policyConfig, type PolicyConfig } from '../tree/policies.js';
import type { TreePolicy } from '../tree/policy.js';
import { DraftModelSpeculator } from './draft-model.js';
import { gsdSpeculator } from './gsd.js';
import { HybridSpeculator } from './hybrid.js';
import { LookupSpeculator } from './lookup.js';
import { NgramState } from './ngram.js';
import { NoSpeculator } from './none.js';
import { readCorpus } from './corpus.js';
import { RecycleState, RecycleTable } from './recycle.js';
import { RetrievalIndex, RetrievalState } from './retrieval.js';
import { SuffixCache, SuffixState } from './suffix.js';
import { SPECULATOR_SHAPES, type SpeculatorConfig } from './schema.js';
import type { Speculator } from './types.js';

export {
  modelRef,
  speculatorSchema,
  weightsSchema,
  type DraftModelConfig,
  type GsdConfig,
  type HybridConfig,
  type LayerSkipConfig,
  type NgramConfig,
  type NoneConfig,
  type RecycleConfig,
  type RetrievalConfig,
  type SpeculatorConfig,
  type SuffixConfig,
} from './schema.js';

export type SpeculatorKind = SpeculatorConfig['kind'];
export type SpeculatorConfigOf<K extends SpeculatorKind> = Extract<SpeculatorConfig, { kind: K }>;

export const SPECULATOR_KINDS: readonly SpeculatorKind[] = ['none', 'draft-model', 'gsd', 'layer-skip', 'ngram', 'suffix', 'retrieval', 'recycle', 'hybrid'];

/** Defaults of every option, per kind: each schema's defaults (schema.ts; `models` and `parts` must then be given). */
export const SPECULATOR_DEFAULTS: { readonly [K in SpeculatorKind]: SpeculatorConfigOf<K> } = {
  none: defaultsOf('none'),
  'draft-model': defaultsOf('draft-model'),
  gsd: defaultsOf('gsd'),
  'layer-skip': defaultsOf('layer-skip'),
  ngram: defaultsOf('ngram'),
  suffix: defaultsOf('suffix'),
  retrieval: defaultsOf('retrieval'),
  recycle: defaultsOf('recycle'),
  hybrid: defaultsOf('hybrid'),
};

function defaultsOf<K extends SpeculatorKind>(kind: K): SpeculatorConfigOf<K> {
  const shape: z.ZodRawShape = SPECULATOR_SHAPES[kind];
  return deepFreeze(z.strictObject(shape).parse({ kind }) as unknown as SpeculatorConfigOf<K>);
}

/** Each kind's tree policy when neither it nor the run names one. */
export function defaultPolicy(cfg: SpeculatorConfig): PolicyConfig {
  switch (cfg.kind) {
    // (Bad options are clamped here so that the speculator itself reports them.)
    case 'ngram': // the best continuation of each of maxBranches matches
      return policyConfig('static', { expansion: [Math.max(1, cfg.maxBranches), ...Array.from({ length: Math.max(0, cfg.maxTokens - 1) }, () => 1)] });
    case 'suffix': // SuffixDecoding: greedy best-first by path probability
    case 'retrieval':
      return policyConfig('dynamic', { depth: Math.max(1, cfg.maxDepth), topK: 8, beam: 0, minProb: 0 });
    case 'recycle': // breadth-first over the table, narrowing with depth (measured best of a few on stories260K)
      return policyConfig('static', { expansion: [4, 2, 2, 1, 1, 1, 1, 1, 1, 1].map((w) => Math.max(1, Math.min(w, cfg.k))) });
    default:
      return policyConfig('static');
  }
}

export function isSpeculatorKind(kind: string): kind is SpeculatorKind {
  return (SPECULATOR_KINDS as readonly string[]).includes(kind);
}

/** A full config of `kind`: its defaults overridden by the given fields. */
export function speculatorConfig<K extends SpeculatorKind>(kind: K, fields: Partial<Omit<SpeculatorConfigOf<K>, 'kind'>> = {}): SpeculatorConfigOf<K> {
  if (!isSpeculatorKind(kind)) throw new ConfigError(`unknown speculator '${String(kind)}'; expected one of ${SPECULATOR_KINDS.join(', ')}`);
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { ...SPECULATOR_DEFAULTS[kind], ...defined, kind } as SpeculatorConfigOf<K>;
}

/** What factories may use besides their own options. */
export interface SpeculatorDeps {
  /** The tree policy this speculator uses (its own, the run's, or its kind's default), built. */
  readonly policy: TreePolicy;
  /** The target's vocabulary size. */
  readonly vocabSize: number;
  /** Text as the target's token ids (its tokenizer, no BOS). */
  encode(text: string): Int32Array;
  /** Engine models of draft references (vocabulary already checked). */
  draftModels(refs: readonly string[], weights?: WeightsType): Promise<Model[]>;
  /** The target's first `layers` layers as an engine model sharing its weights. */
  layerSkipModel(layers: number): Promise<Model>;
  /** Builds a part of a hybrid (with its own policy resolution). */
  build(cfg: SpeculatorConfig): Promise<Speculator>;
}

const FACTORIES: { readonly [K in SpeculatorKind]: (cfg: SpeculatorConfigOf<K>, deps: SpeculatorDeps) => Promise<Speculator> } = {
  none: async () => new NoSpeculator(),
  'draft-model': async (c, d) => {
    if (c.models.length === 0) throw new ConfigError("speculator 'draft-model' needs at least one draft model (--draft NAME)");
    return new DraftModelSpeculator(await d.draftModels(c.models, c.weights), d.policy);
  },
  gsd: async (c, d) => {
    if (c.models.length === 0) throw new ConfigError("speculator 'gsd' needs at least one draft model (--draft NAME)");
    return gsdSpeculator(await d.draftModels(c.models, c.weights), d.policy, c.context);
  },
  'layer-skip': async (c, d) => new DraftModelSpeculator([await d.layerSkipModel(c.layers)], d.policy, 'layer-skip'),
  ngram: async (c, d) => {
    new NgramState(c, new Int32Array(0)); // validates the options now rather than at the first request
    return new LookupSpeculator('ngram', d.policy, (prompt) => new NgramState(c, prompt));
  },
  suffix: async (c, d) => {
    const cache = new SuffixCache(c);
    return new LookupSpeculator('suffix', d.policy, (prompt) => new SuffixState(c, cache, prompt));
  },
  retrieval: async (c, d) => {
    const index = new RetrievalIndex(c, c.corpus === undefined ? [] : readCorpus(c.corpus).map((doc) => d.encode(doc)));
    return new LookupSpeculator('retrieval', d.policy, (prompt, refs) => new RetrievalState(c, index, prompt, refs));
  },
  recycle: async (c, d) => {
    const table = new RecycleTable(d.vocabSize, c.k);
    return new LookupSpeculator('recycle', d.policy, (prompt) => new RecycleState(table, prompt));
  },
  hybrid: async (c, d) => {
    if (c.parts.length === 0) throw new ConfigError("speculator 'hybrid' needs at least one part");
    const parts: Speculator[] = [];
    for (const p of c.parts) parts.push(await d.build(p));
    return new HybridSpeculator(parts, c);
  },
};

/** A speculator from its config; option errors become ConfigErrors naming the kind. */
export async function createSpeculator(cfg: SpeculatorConfig, deps: SpeculatorDeps): Promise<Speculator> {
  if (!isSpeculatorKind(cfg.kind)) throw new ConfigError(`unknown speculator '${String(cfg.kind)}'; expected one of ${SPECULATOR_KINDS.join(', ')}`);
  const factory = FACTORIES[cfg.kind] as (c: SpeculatorConfig, d: SpeculatorDeps) => Promise<Speculator>;
  try {
    return await factory(cfg, deps);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError(`speculator '${cfg.kind}': ${e.message}`);
    throw e;
  }
}

/** The policy config a speculator uses: its own, else the run's, else its kind's default. */
export function resolvePolicy(cfg: SpeculatorConfig, runPolicy: PolicyConfig | undefined): PolicyConfig {
  return ('policy' in cfg ? cfg.policy : undefined) ?? runPolicy ?? defaultPolicy(cfg);
}

