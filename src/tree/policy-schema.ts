/**
 * The tree policy kinds as a list of definitions (one file each under
 * kinds/) and what derives from it for configs: the zod union behind the
 * TypeScript config types, config-file validation and the JSON Schema of
 * experiment files. Objects are strict: each kind takes its own options only.
 */
import { KindRegistry, kindUnion } from '../core/kinds.js';
import type { PolicyDefinition } from './define.js';
import { chainPolicy } from './kinds/chain.js';
import { dynamicPolicy } from './kinds/dynamic.js';
import { pSplitPolicy } from './kinds/p-split.js';
import { sequoiaPolicy } from './kinds/sequoia.js';
import { staticPolicy } from './kinds/static.js';

/** The built-in kinds, in the order listed everywhere (docs, errors, `generate --policy`, the conformance suite). */
const BUILT_IN = [staticPolicy, chainPolicy, dynamicPolicy, pSplitPolicy, sequoiaPolicy] as const;

type OutputOf<D> = D extends PolicyDefinition<infer C, infer _I> ? C : never;
type InputOf<D> = D extends PolicyDefinition<infer _C, infer I> ? I : never;

export type PolicyConfig = OutputOf<(typeof BUILT_IN)[number]>;
export type PolicyInput = InputOf<(typeof BUILT_IN)[number]>;
export type PolicyKind = PolicyConfig['kind'];
export type PolicyConfigOf<K extends PolicyKind> = Extract<PolicyConfig, { kind: K }>;

export type StaticPolicyConfig = PolicyConfigOf<'static'>;

/** Every definition: the built-in ones, then those registered (registerPolicy), in order. */
const registry = new KindRegistry<PolicyDefinition>('tree policy', BUILT_IN);

export const POLICY_DEFINITIONS: readonly PolicyDefinition[] = registry.definitions;

/** Every kind, built-in first (registered kinds are appended; their configs are outside the PolicyConfig type). */
export const POLICY_KINDS = registry.kinds as readonly PolicyKind[];

/** The definition of `kind`; a ConfigError listing the kinds when there is none. */
export function policyDefinition(kind: string): PolicyDefinition {
  return registry.get(kind);
}

/**
 * Adds a tree policy kind (a plugin's definition): createPolicy, defaults,
 * the docs table, `generate`'s flags, config files and `--set` see it from
 * now on (policySchema resolves the registry at every parse). Registering
 * a known kind again is an error unless it is the same definition. Returns
 * a function that removes it again (for tests).
 */
export function registerPolicy<C extends { readonly kind: string }, I>(def: PolicyDefinition<C, I>): () => void {
  return registry.register(def);
}

/** Whether `kind` is one of the kinds defined in src/ (a plugin may not redefine them). */
export function isBuiltInPolicy(kind: string): boolean {
  return registry.isBuiltIn(kind);
}

/** Any tree policy, selected by `kind` (registered kinds included, whenever they were registered). */
export const policySchema = kindUnion<PolicyConfig, PolicyInput>(registry, {
  id: 'TreePolicy',
  description: 'A tree policy: decides the shape of the token tree (selected by kind).',
});
