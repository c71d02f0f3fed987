/** The verifier registry (docs/design.md#verification) and the sampling transform they share. */
import { ConfigError } from '../core/errors.js';
import { GreedyVerifier } from './greedy.js';
import { MssVerifier } from './mss.js';
import { NsVerifier } from './ns.js';
import { RsdVerifier } from './rsd.js';
import { SequenceVerifier } from './sequence.js';
import type { Verifier } from './types.js';

export const VERIFIER_KINDS = ['greedy', 'mss', 'ns', 'rsd', 'sequence'] as const;
export type VerifierKind = (typeof VERIFIER_KINDS)[number];

const FACTORIES: { readonly [K in VerifierKind]: () => Verifier } = {
  greedy: () => new GreedyVerifier(),
  mss: () => new MssVerifier(),
  ns: () => new NsVerifier(),
  rsd: () => new RsdVerifier(),
  sequence: () => new SequenceVerifier(),
};

function isVerifierKind(kind: string): kind is VerifierKind {
  return (VERIFIER_KINDS as readonly string[]).includes(kind);
}

/** A verifier by kind; a ConfigError listing the kinds for an unknown one. */
export function createVerifier(kind: VerifierKind): Verifier {
  if (!isVerifierKind(kind)) {
    throw new ConfigError(`unknown verifier '${String(kind)}'; expected one of ${VERIFIER_KINDS.join(', ')}`);
  }
  return FACTORIES[kind]();
}

export { GreedyVerifier };
export { checkSampling } from '../sampling/transform.js';
export { treeTraits } from './traits.js';
export { GREEDY, type SamplingParams } from '../sampling/params.js';
export { type Verifier, type VerifyResult } from './types.js';
