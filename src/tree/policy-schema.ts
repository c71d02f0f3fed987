/**
 * The tree policy kinds as a list of definitions (one file each under
 * kinds/) and what derives from it for configs: the zod union behind the
 * TypeScript config types, config-file validation and the JSON Schema of
 * experiment files. Objects are strict: each kind takes its own options only.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { PolicyDefinition } from './define.js';
import { chainPolicy } from './kinds/chain.js';
import { dynamicPolicy } from './kinds/dynamic.js';
import { pSplitPolicy } from './kinds/p-split.js';
import { sequoiaPolicy } from './kinds/sequoia.js';
import { staticPolicy } from './kinds/static.js';

export type { ChildrenOption } from './define.js';

/** The built-in kinds, in the order listed everywhere (docs, errors, `generate --policy`, the conformance suite). */
const BUILT_IN = [staticPolicy, chainPolicy, dynamicPolicy, pSplitPolicy, sequoiaPolicy] as const;

type OutputOf<D> = D extends PolicyDefinition<infer C, infer _I> ? C : never;
type InputOf<D> = D extends PolicyDefinition<infer _C, infer I> ? I : never;

export type PolicyConfig = OutputOf<(typeof BUILT_IN)[number]>;
export type PolicyInput = InputOf<(typeof BUILT_IN)[number]>;
export type PolicyKind = PolicyConfig['kind'];
export type PolicyConfigOf<K extends PolicyKind> = Extract<PolicyConfig, { kind: K }>;

export type StaticPolicyConfig = PolicyConfigOf<'static'>;
export type ChainPolicyConfig = PolicyConfigOf<'chain'>;
export type DynamicPolicyConfig = PolicyConfigOf<'dynamic'>;
export type PSplitPolicyConfig = PolicyConfigOf<'p-split'>;
export type SequoiaPolicyConfig = PolicyConfigOf<'sequoia'>;

/** Every definition: the built-in ones, then those registered (registerPolicy), in order. */
const definitions: PolicyDefinition[] = [...BUILT_IN];
const kinds: string[] = BUILT_IN.map((d) => d.kind);

export const POLICY_DEFINITIONS: readonly PolicyDefinition[] = definitions;

/** Every kind, built-in first (registered kinds are appended; their configs are outside the PolicyConfig type). */
export const POLICY_KINDS = kinds as readonly PolicyKind[];

export function isPolicyKind(kind: string): kind is PolicyKind {
  return kinds.includes(kind);
}

/** The definition of `kind`; a ConfigError listing the kinds when there is none. */
export function policyDefinition(kind: string): PolicyDefinition {
  const def = definitions.find((d) => d.kind === kind);
  if (def === undefined) throw new ConfigError(`unknown tree policy '${kind}'; expected one of ${kinds.join(', ')}`);
  return def;
}

/**
 * Adds a tree policy kind (a plugin's definition): createPolicy, defaults,
 * the docs table and `generate --policy` see it from now on; config files
 * and `--set` only when it is registered before the first config is parsed
 * (the zod union is built once, at that parse). Registering a known kind
 * again is an error unless it is the same definition. Returns a function
 * that removes it again (for tests).
 */
export function registerPolicy<C extends { readonly kind: string }, I>(def: PolicyDefinition<C, I>): () => void {
  const known = definitions.find((d) => d.kind === def.kind);
  const remove = () => {
    const i = definitions.indexOf(def as unknown as PolicyDefinition);
    if (i < BUILT_IN.length) return;
    definitions.splice(i, 1);
    kinds.splice(i, 1);
  };
  if (known === (def as unknown)) return remove;
  if (known !== undefined) throw new ConfigError(`tree policy '${def.kind}' is already defined`);
  definitions.push(def as unknown as PolicyDefinition);
  kinds.push(def.kind);
  return remove;
}

type Option = z.core.$ZodTypeDiscriminable;

/** The union of every definition's schema (called once, by the lazy schema below, at the first parse). */
function currentUnion(): z.ZodType<PolicyConfig, PolicyInput> {
  return z.discriminatedUnion('kind', definitions.map((d) => d.schema) as unknown as [Option, ...Option[]]) as z.ZodType<PolicyConfig, PolicyInput>;
}

/** Any tree policy, selected by `kind` (kinds registered before the first parse included). */
export const policySchema: z.ZodType<PolicyConfig, PolicyInput> = z
  .lazy(currentUnion)
  .meta({ id: 'TreePolicy', description: 'A tree policy: decides the shape of the token tree (selected by kind).' });
