/**
 * A verifier kind as one definition: what it does, what it needs to be exact
 * (the exactness error's text), and its factory. The registry (index.ts) is
 * the list of definitions; the config schema, the docs table of verifiers
 * and their exactness, `generate --verifier` and the conformance suite
 * derive from it. Exactness itself is the built verifier's exactFor() (next
 * to its algorithm and its proof); withoutReplacement likewise.
 */
import type { TreeTraits } from '../tree/draft-tree.js';
import type { SamplingParams } from '../sampling/params.js';
import type { Verifier } from './types.js';

/** One verifier kind, complete. */
export interface VerifierDefinition<K extends string = string> {
  /** Which registry it joins (a plugin module's definitions are routed by this field). */
  readonly component: 'verifier';
  readonly kind: K;
  /** One sentence: what it does (the config schema's and the docs table's text). */
  readonly description: string;
  /** What trees and sampling it needs to be exact, said to the user when it is not (e.g. 'greedy needs temperature 0'). */
  readonly needs: string;
  /** True when tree policies must draw sampled siblings without replacement for it (DrawOptions.withoutReplacement). */
  readonly withoutReplacement: boolean;
  /** Whether it is exact for trees of these traits under this sampling (its verifiers' exactFor()). */
  exactFor(traits: TreeTraits, sampling: SamplingParams): boolean;
  /** A fresh verifier (verifiers are stateless: one per run). */
  create(): Verifier;
}

/** What a definition gives. */
export interface VerifierSpec<K extends string> {
  readonly kind: K;
  readonly description: string;
  readonly needs: string;
  create(): Verifier;
}

/** A verifier definition from its spec: traits are read from one verifier it creates. */
export function defineVerifier<K extends string>(spec: VerifierSpec<K>): VerifierDefinition<K> {
  const probe = spec.create();
  if (probe.kind !== spec.kind) throw new Error(`verifier definition '${spec.kind}' creates verifiers of kind '${probe.kind}'`);
  return Object.freeze({
    component: 'verifier' as const,
    kind: spec.kind,
    description: spec.description,
    needs: spec.needs,
    withoutReplacement: probe.withoutReplacement ?? false,
    exactFor: (traits: TreeTraits, sampling: SamplingParams) => probe.exactFor(traits, sampling),
    create: () => spec.create(),
  });
}
