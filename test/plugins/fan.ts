/**
 * A tree policy and a verifier defined outside src/, through the public API
 * only (the walk-through of docs/extending.md): a fan (`width` branches at
 * the root, each a chain) and a verifier that accepts nothing (it emits the
 * target's argmax: exact at temperature 0 for any tree, one token per step).
 */
import { z } from 'zod';
import {
  createPolicy,
  definePolicy,
  defineVerifier,
  policyConfig,
  type DraftTree,
  type Logits,
  type SamplingParams,
  type TreeTraits,
  type Verifier,
  type VerifyResult,
} from '../../src/index.js';

export const fanPolicy = definePolicy({
  kind: 'fan',
  description: '`width` branches at the root, each a chain (a plugin example).',
  options: {
    width: z.number().int().min(1).default(3).describe('Branches at the root.'),
    depth: z.number().int().min(1).default(4).describe('Levels, the root branches included.'),
  },
  create: (c, draws) => createPolicy(policyConfig('static', { expansion: [c.width, ...Array.from({ length: c.depth - 1 }, () => 1)] }), draws),
});

class RejectAllVerifier implements Verifier {
  readonly kind = 'reject-all';

  exactFor(_traits: TreeTraits, sampling: SamplingParams): boolean {
    return sampling.temperature === 0;
  }

  verify(tree: DraftTree, target: Logits): VerifyResult {
    const root = target.row(0);
    let next = 0;
    for (let t = 1; t < root.length; t++) if (root[t] > root[next]) next = t;
    return { path: new Int32Array(0), next, nextKind: tree.tokens.length === 0 ? 'bonus' : 'recovered' };
  }
}

export const rejectAllVerifier = defineVerifier({
  kind: 'reject-all',
  description: "Accepts no draft token: emits the target's argmax (a plugin example).",
  needs: 'reject-all needs temperature 0',
  create: () => new RejectAllVerifier(),
});
