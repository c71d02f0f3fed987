/**
 * Tree policies by kind: their config types (the shape YAML configs take),
 * defaults (in one place, POLICY_DEFAULTS) and factories.
 */
import { ConfigError } from '../core/errors.js';
import { DynamicPolicy } from './dynamic.js';
import { PSplitPolicy } from './p-split.js';
import type { TreePolicy } from './policy.js';
import { SequoiaPolicy } from './sequoia-policy.js';
import type { HardwareModel } from './sequoia.js';
import { StaticExpansionPolicy } from './static-expansion.js';

/** How children are taken from draft logits: 'auto' samples when temperature > 0 and takes the top-k when greedy. */
export type ChildrenOption = 'auto' | 'sample' | 'top-k';

export interface StaticPolicyConfig {
  readonly kind: 'static';
  /** <k1, ..., km>: every node at level i gets k_i children (breadth-first, under the node budget). */
  readonly expansion: readonly number[];
  readonly children: ChildrenOption;
}

export interface ChainPolicyConfig {
  readonly kind: 'chain';
  /** Chain length (sequence-based speculation). */
  readonly depth: number;
  readonly children: ChildrenOption;
}

export interface DynamicPolicyConfig {
  readonly kind: 'dynamic';
  /** Levels to expand at most. */
  readonly depth: number;
  /** Candidates below each expanded node. */
  readonly topK: number;
  /** Best nodes of each level expanded further (0 = the node budget: exact best-first). */
  readonly beam: number;
  /** Drop candidates whose path probability is below this. */
  readonly minProb: number;
}

export interface PSplitPolicyConfig {
  readonly kind: 'p-split';
  /** Levels at most. */
  readonly depth: number;
  /** Branch when a runner-up candidate's probability exceeds this (llama.cpp p_split). */
  readonly pSplit: number;
  /** End a branch when its best candidate's probability is below this (llama.cpp p_min; 0 = never). */
  readonly pMin: number;
  /** Most branches. */
  readonly maxBranches: number;
}

export interface SequoiaPolicyConfig {
  readonly kind: 'sequoia';
  /** Per-rank acceptance probabilities p_1 >= p_2 >= ... (sum <= 1), from a calibration run. */
  readonly acceptance: readonly number[];
  /** Deepest level. */
  readonly depth: number;
  /** Optional latency model: maximize tokens per millisecond rather than per step. */
  readonly hardware?: HardwareModel;
}

export type PolicyConfig = StaticPolicyConfig | ChainPolicyConfig | DynamicPolicyConfig | PSplitPolicyConfig | SequoiaPolicyConfig;
export type PolicyKind = PolicyConfig['kind'];
export type PolicyConfigOf<K extends PolicyKind> = Extract<PolicyConfig, { kind: K }>;

export const POLICY_KINDS: readonly PolicyKind[] = ['static', 'chain', 'dynamic', 'p-split', 'sequoia'];

/**
 * Defaults of every option, per kind. The Sequoia vector is what
 * calibrateAcceptance() measured for stories260K-ssm-m against stories260K
 * (top-8, greedy, the 32 story-openings x 128 tokens); calibrate your own
 * pair for real use.
 */
export const POLICY_DEFAULTS: { readonly [K in PolicyKind]: PolicyConfigOf<K> } = {
  static: { kind: 'static', expansion: [1, 1, 3, 1, 1, 1, 1, 1], children: 'auto' },
  chain: { kind: 'chain', depth: 8, children: 'auto' },
  dynamic: { kind: 'dynamic', depth: 8, topK: 4, beam: 8, minProb: 0 },
  'p-split': { kind: 'p-split', depth: 8, pSplit: 0.1, pMin: 0, maxBranches: 8 },
  sequoia: { kind: 'sequoia', acceptance: [0.71, 0.138, 0.052, 0.024, 0.014, 0.024, 0.009, 0.003], depth: 10 },
};

export function isPolicyKind(kind: string): kind is PolicyKind {
  return (POLICY_KINDS as readonly string[]).includes(kind);
}

/** A full config of `kind`: its defaults overridden by the given fields. */
export function policyConfig<K extends PolicyKind>(kind: K, fields: Partial<Omit<PolicyConfigOf<K>, 'kind'>> = {}): PolicyConfigOf<K> {
  if (!isPolicyKind(kind)) throw new ConfigError(`unknown tree policy '${String(kind)}'; expected one of ${POLICY_KINDS.join(', ')}`);
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { ...POLICY_DEFAULTS[kind], ...defined, kind } as PolicyConfigOf<K>;
}

const FACTORIES: { readonly [K in PolicyKind]: (cfg: PolicyConfigOf<K>) => TreePolicy } = {
  static: (c) => new StaticExpansionPolicy({ expansion: c.expansion, children: c.children }),
  chain: (c) => new StaticExpansionPolicy({ expansion: Array.from({ length: c.depth }, () => 1), children: c.children }),
  dynamic: (c) => new DynamicPolicy(c),
  'p-split': (c) => new PSplitPolicy(c),
  sequoia: (c) => new SequoiaPolicy(c),
};

/** A policy from its config; bad options become a ConfigError naming the policy. */
export function createPolicy(cfg: PolicyConfig): TreePolicy {
  if (!isPolicyKind(cfg.kind)) throw new ConfigError(`unknown tree policy '${String(cfg.kind)}'; expected one of ${POLICY_KINDS.join(', ')}`);
  const factory = FACTORIES[cfg.kind] as (c: PolicyConfig) => TreePolicy;
  try {
    return factory(cfg);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError(`policy '${cfg.kind}': ${e.message}`);
    throw e;
  }
}
