/**
 * Tree policies by kind: their config types (the shape YAML configs take;
 * defined once as zod schemas in policy-schema.ts), defaults (in one place,
 * POLICY_DEFAULTS: the schemas' defaults) and factories.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { DynamicPolicy } from './dynamic.js';
import { PSplitPolicy } from './p-split.js';
import type { DrawOptions, TreePolicy } from './policy.js';
import { SequoiaPolicy } from './sequoia-policy.js';
import { StaticExpansionPolicy } from './static-expansion.js';
import { POLICY_SHAPES, type PolicyConfig } from './policy-schema.js';

export {
  policySchema,
  type PolicyConfig,
  type StaticPolicyConfig,
} from './policy-schema.js';

export type PolicyKind = PolicyConfig['kind'];
export type PolicyConfigOf<K extends PolicyKind> = Extract<PolicyConfig, { kind: K }>;

export const POLICY_KINDS: readonly PolicyKind[] = ['static', 'chain', 'dynamic', 'p-split', 'sequoia'];

/**
 * Defaults of every option, per kind: each schema's defaults (policy-schema.ts).
 * The Sequoia vector is what calibrateAcceptance() measured for
 * stories260K-ssm-m against stories260K (top-8, greedy, the 32
 * story-openings x 128 tokens); calibrate your own pair for real use.
 */
export const POLICY_DEFAULTS: { readonly [K in PolicyKind]: PolicyConfigOf<K> } = {
  static: defaultsOf('static'),
  chain: defaultsOf('chain'),
  dynamic: defaultsOf('dynamic'),
  'p-split': defaultsOf('p-split'),
  sequoia: defaultsOf('sequoia'),
};

function defaultsOf<K extends PolicyKind>(kind: K): PolicyConfigOf<K> {
  const shape: z.ZodRawShape = POLICY_SHAPES[kind];
  return deepFreeze(z.strictObject(shape).parse({ kind }) as unknown as PolicyConfigOf<K>);
}

/** Freezes a plain value and everything in it (defaults are shared by every config built from them). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function isPolicyKind(kind: string): kind is PolicyKind {
  return (POLICY_KINDS as readonly string[]).includes(kind);
}

/** A full config of `kind`: its defaults overridden by the given fields. */
export function policyConfig<K extends PolicyKind>(kind: K, fields: Partial<Omit<PolicyConfigOf<K>, 'kind'>> = {}): PolicyConfigOf<K> {
  if (!isPolicyKind(kind)) throw new ConfigError(`unknown tree policy '${String(kind)}'; expected one of ${POLICY_KINDS.join(', ')}`);
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { ...POLICY_DEFAULTS[kind], ...defined, kind };
}

const FACTORIES: { readonly [K in PolicyKind]: (cfg: PolicyConfigOf<K>, d: DrawOptions) => TreePolicy } = {
  static: (c, d) => new StaticExpansionPolicy({ expansion: c.expansion, children: c.children, ...d }),
  chain: (c, d) => new StaticExpansionPolicy({ expansion: Array.from({ length: c.depth }, () => 1), children: c.children, ...d }),
  dynamic: (c, d) => new DynamicPolicy({ ...c, ...d }),
  'p-split': (c, d) => new PSplitPolicy({ ...c, ...d }),
  sequoia: (c, d) => new SequoiaPolicy({ ...c, ...d }),
};

/**
 * A policy from its config and the run's draw options (the verifier's
 * needs); bad options become a ConfigError naming the policy.
 */
export function createPolicy(cfg: PolicyConfig, draws: DrawOptions = {}): TreePolicy {
  if (!isPolicyKind(cfg.kind)) throw new ConfigError(`unknown tree policy '${String(cfg.kind)}'; expected one of ${POLICY_KINDS.join(', ')}`);
  const factory = FACTORIES[cfg.kind] as (c: PolicyConfig, d: DrawOptions) => TreePolicy;
  try {
    return factory(cfg, draws);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError(`policy '${cfg.kind}': ${e.message}`);
    throw e;
  }
}
