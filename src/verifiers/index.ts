/**
 * The verifier registry (docs/design.md#verification): the list of
 * definitions (one file each under kinds/), and the sampling transform they
 * share.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
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
const definitions: VerifierDefinition[] = [...BUILT_IN];
const kinds: string[] = BUILT_IN.map((d) => d.kind);

export const VERIFIER_DEFINITIONS: readonly VerifierDefinition[] = definitions;

/** Every kind, built-in first (registered kinds are appended). */
export const VERIFIER_KINDS = kinds as readonly VerifierKind[];

export function isVerifierKind(kind: string): kind is VerifierKind {
  return kinds.includes(kind);
}

/** The definition of `kind`; a ConfigError listing the kinds when there is none. */
export function verifierDefinition(kind: string): VerifierDefinition {
  const def = definitions.find((d) => d.kind === kind);
  if (def === undefined) throw new ConfigError(`unknown verifier '${kind}'; expected one of ${kinds.join(', ')}`);
  return def;
}

/** A verifier by kind; a ConfigError listing the kinds for an unknown one. */
export function createVerifier(kind: VerifierKind): Verifier {
  return verifierDefinition(kind).create();
}

/**
 * Adds a verifier kind (a plugin's definition): run building and the docs
 * table see it from now on; config files only when it is registered before
 * the first config is parsed. Registering a known kind again is an error
 * unless it is the same definition. Returns a function that removes it
 * again (for tests).
 */
export function registerVerifier(def: VerifierDefinition): () => void {
  const known = definitions.find((d) => d.kind === def.kind);
  const remove = () => {
    const i = definitions.indexOf(def);
    if (i < BUILT_IN.length) return;
    definitions.splice(i, 1);
    kinds.splice(i, 1);
  };
  if (known === def) return remove;
  if (known !== undefined) throw new ConfigError(`verifier '${def.kind}' is already defined`);
  definitions.push(def);
  kinds.push(def.kind);
  return remove;
}

/** A verifier kind in a config (kinds registered before the first parse included): an enum of the kinds, each described. */
export const verifierKindSchema: z.ZodType<VerifierKind> = z.lazy(() =>
  z.enum(kinds as [VerifierKind, ...VerifierKind[]]).describe(definitions.map((d) => `${d.kind}: ${d.description}`).join(' ')),
);

export { defineVerifier, type VerifierDefinition } from './define.js';
export { GreedyVerifier } from './greedy.js';
export { checkSampling } from '../sampling/transform.js';
export { treeTraits } from './traits.js';
export { GREEDY, type SamplingParams } from '../sampling/params.js';
export { type Verifier, type VerifyResult } from './types.js';
