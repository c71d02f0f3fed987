/**
 * Tree policies by kind, from their definitions (policy-schema.ts lists
 * them; one file each under kinds/): config types, defaults and factories.
 */
import { ConfigError } from '../core/errors.js';
import type { DrawOptions, TreePolicy } from './policy.js';
import { POLICY_DEFINITIONS, policyDefinition, type PolicyConfig, type PolicyConfigOf, type PolicyKind } from './policy-schema.js';

export { definePolicy, type PolicyDefinition } from './define.js';
export {
  isBuiltInPolicy,
  policyDefinition,
  policySchema,
  registerPolicy,
  POLICY_DEFINITIONS,
  POLICY_KINDS,
  type PolicyConfig,
  type PolicyConfigOf,
  type PolicyKind,
  type StaticPolicyConfig,
} from './policy-schema.js';

/** Defaults of every option, per built-in kind: each definition's defaults. */
export const POLICY_DEFAULTS = Object.freeze(Object.fromEntries(POLICY_DEFINITIONS.map((d) => [d.kind, d.defaults()]))) as {
  readonly [K in PolicyKind]: PolicyConfigOf<K>;
};

/** A full config of `kind`: its defaults overridden by the given fields. */
export function policyConfig<K extends PolicyKind>(kind: K, fields: Partial<Omit<PolicyConfigOf<K>, 'kind'>> = {}): PolicyConfigOf<K> {
  const defaults = policyDefinition(kind).defaults();
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { ...defaults, ...defined, kind } as PolicyConfigOf<K>;
}

/**
 * A policy from its config and the run's draw options (the verifier's
 * needs); bad options become a ConfigError naming the policy.
 */
export function createPolicy(cfg: PolicyConfig, draws: DrawOptions = {}): TreePolicy {
  const def = policyDefinition(cfg.kind);
  try {
    return def.create(cfg, draws);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError(`policy '${cfg.kind}': ${e.message}`);
    throw e;
  }
}
