/**
 * The verifier registry (docs/design.md#verification): the list of
 * definitions (one file each under kinds/), and the sampling transform they
 * share.
 */
import { z } from 'zod';
import { KindRegistry, registrySchema } from '../core/kinds.js';
import type { VerifierDefinition } from './define.js';
import { greedyVerifier } from './kinds/greedy.js';
import { mssVerifier } from './kinds/mss.js';
import { nsVerifier } from './kinds/ns.js';
import { rsdVerifier } from './kinds/rsd.js';
import { sequenceVerifier } from './kinds/sequence.js';
import type { Verifier } from './types.js';

/** The built-in kinds, in the order listed everywhere (docs, errors, `generate --verifier`, the conformance suite). */
const BUILT_IN = [greedyVerifier, mssVerifier, nsVerifier, rsdVerifier, sequenceVerifier] as const;

export type VerifierKind = (typeof BUILT_IN)[number]['kind'];

/** Every definition: the built-in ones, then those registered (registerVerifier), in order. */
const registry = new KindRegistry<VerifierDefinition>('verifier', BUILT_IN);
const { definitions, kinds } = registry;

export const VERIFIER_DEFINITIONS: readonly VerifierDefinition[] = definitions;

/** Every kind, built-in first (registered kinds are appended). */
export const VERIFIER_KINDS = kinds as readonly VerifierKind[];

/** The definition of `kind`; a ConfigError listing the kinds when there is none. */
export function verifierDefinition(kind: string): VerifierDefinition {
  return registry.get(kind);
}

/** Whether `kind` is one of the kinds defined in src/ (a plugin may not redefine them). */
export function isBuiltInVerifier(kind: string): boolean {
  return registry.isBuiltIn(kind);
}

/** A verifier by kind; a ConfigError listing the kinds for an unknown one. */
export function createVerifier(kind: VerifierKind): Verifier {
  return verifierDefinition(kind).create();
}

/**
 * Adds a verifier kind (a plugin's definition): run building, the docs
 * table and `generate --verifier` see it from now on; config files only
 * when it is registered before the first config is parsed. Registering a
 * known kind again is an error unless it is the same definition. Returns a
 * function that removes it again (for tests).
 */
export function registerVerifier(def: VerifierDefinition): () => void {
  return registry.register(def);
}

/** A verifier kind in a config (registered kinds included, whenever they were registered): an enum of the kinds, each described. */
export const verifierKindSchema: z.ZodType<VerifierKind> = registrySchema(registry, () =>
  z.enum(kinds as [VerifierKind, ...VerifierKind[]]).describe(definitions.map((d) => `${d.kind}: ${d.description}`).join(' ')),
);

export { defineVerifier, type VerifierDefinition } from './define.js';
export { GreedyVerifier } from './greedy.js';
export { checkSampling } from '../sampling/transform.js';
export { treeTraits } from './traits.js';
export { GREEDY, type SamplingParams } from '../sampling/params.js';
export { type Verifier, type VerifyResult } from './types.js';
