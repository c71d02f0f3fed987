/**
 * Speculators by kind: their config types (the shape YAML configs take),
 * defaults (in one place, SPECULATOR_DEFAULTS, with each kind's default tree
 * policy) and factories. A factory gets only its own options plus deps.
 */
import { ConfigError } from '../core/errors.js';
import type { Model } from '../core/model.js';
import { policyConfig, type PolicyConfig } from '../tree/policies.js';
import type { TreePolicy } from '../tree/policy.js';
import { DraftModelSpeculator } from './draft-model.js';
import { HybridSpeculator } from './hybrid.js';
import { LookupSpeculator } from './lookup.js';
import { NgramState } from './ngram.js';
import { NoSpeculator } from './none.js';
import { RecycleState, RecycleTable } from './recycle.js';
import { SuffixCache, SuffixState } from './suffix.js';
import type { Speculator } from './types.js';

/** Every speculator may name its own tree policy; without one, the run's policy, else the kind's default. */
interface WithPolicy {
  readonly policy?: PolicyConfig;
}

export interface NoneConfig {
  readonly kind: 'none';
}

export interface DraftModelConfig extends WithPolicy {
  readonly kind: 'draft-model';
  /** Draft models (SSMs) by reference; two or more build merge-based trees. */
  readonly models: readonly string[];
}

export interface LayerSkipConfig extends WithPolicy {
  readonly kind: 'layer-skip';
  /** The target's first `layers` layers (+ final norm + classifier) draft; no new weights. */
  readonly layers: number;
}

export interface NgramConfig extends WithPolicy {
  readonly kind: 'ngram';
  /** Shortest n-gram matched. */
  readonly minN: number;
  /** Longest n-gram matched (tried first). */
  readonly maxN: number;
  /** Deepest speculated token (length of the proposed continuation). */
  readonly maxTokens: number;
  /** Distinct continuations per row at most (branches). */
  readonly maxBranches: number;
  /** Order of continuations: latest occurrence first, or most frequent first. */
  readonly rank: 'recent' | 'frequent';
}

export interface SuffixConfig extends WithPolicy {
  readonly kind: 'suffix';
  /** Longest suffix matched (depth of the suffix trees). */
  readonly maxDepth: number;
  /** Tree size cap: maxSpecFactor * (root match length) nodes. */
  readonly maxSpecFactor: number;
  /** Skip nodes whose estimated path probability is below this. */
  readonly minTokenProb: number;
  /** Earlier outputs kept in the global suffix tree (oldest evicted first). */
  readonly maxCachedRequests: number;
}

export interface RecycleConfig extends WithPolicy {
  readonly kind: 'recycle';
  /** Width of the adjacency table (the target's top-k kept per token). */
  readonly k: number;
}

export interface HybridConfig {
  readonly kind: 'hybrid';
  /** 'merge': one tree, prefix union of every part's; 'switch': one part per step (see minMatch). */
  readonly mode: 'merge' | 'switch';
  /** 'switch': the first part whose match length reaches this is used (parts without one always qualify). */
  readonly minMatch: number;
  readonly parts: readonly SpeculatorConfig[];
}

export type SpeculatorConfig = NoneConfig | DraftModelConfig | LayerSkipConfig | NgramConfig | SuffixConfig | RecycleConfig | HybridConfig;
export type SpeculatorKind = SpeculatorConfig['kind'];
export type SpeculatorConfigOf<K extends SpeculatorKind> = Extract<SpeculatorConfig, { kind: K }>;

export const SPECULATOR_KINDS: readonly SpeculatorKind[] = ['none', 'draft-model', 'layer-skip', 'ngram', 'suffix', 'recycle', 'hybrid'];

/** Defaults of every option, per kind. */
export const SPECULATOR_DEFAULTS: { readonly [K in SpeculatorKind]: SpeculatorConfigOf<K> } = {
  none: { kind: 'none' },
  'draft-model': { kind: 'draft-model', models: [] },
  'layer-skip': { kind: 'layer-skip', layers: 2 },
  ngram: { kind: 'ngram', minN: 1, maxN: 4, maxTokens: 10, maxBranches: 4, rank: 'recent' },
  suffix: { kind: 'suffix', maxDepth: 24, maxSpecFactor: 4, minTokenProb: 0.1, maxCachedRequests: 256 },
  recycle: { kind: 'recycle', k: 8 },
  hybrid: { kind: 'hybrid', mode: 'merge', minMatch: 3, parts: [] },
};

/** Each kind's tree policy when neither it nor the run names one. */
export function defaultPolicy(cfg: SpeculatorConfig): PolicyConfig {
  switch (cfg.kind) {
    // (Bad options are clamped here so that the speculator itself reports them.)
    case 'ngram': // the best continuation of each of maxBranches matches
      return policyConfig('static', { expansion: [Math.max(1, cfg.maxBranches), ...Array.from({ length: Math.max(0, cfg.maxTokens - 1) }, () => 1)] });
    case 'suffix': // SuffixDecoding: greedy best-first by path probability
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
  /** Engine models of draft references (vocabulary already checked). */
  draftModels(refs: readonly string[]): Promise<Model[]>;
  /** The target's first `layers` layers as an engine model sharing its weights. */
  layerSkipModel(layers: number): Promise<Model>;
  /** Builds a part of a hybrid (with its own policy resolution). */
  build(cfg: SpeculatorConfig): Promise<Speculator>;
}

const FACTORIES: { readonly [K in SpeculatorKind]: (cfg: SpeculatorConfigOf<K>, deps: SpeculatorDeps) => Promise<Speculator> } = {
  none: async () => new NoSpeculator(),
  'draft-model': async (c, d) => {
    if (c.models.length === 0) throw new ConfigError("speculator 'draft-model' needs at least one draft model (--draft NAME)");
    return new DraftModelSpeculator(await d.draftModels(c.models), d.policy);
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

