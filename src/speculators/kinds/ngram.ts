/** Prompt lookup: continuations of the context's last n-gram in prompt + output. */
import { z } from 'zod';
import { policyConfig } from '../../tree/policies.js';
import { defineSpeculator, policyOption, positiveInt } from '../define.js';
import { LookupSpeculator } from '../lookup.js';
import { NgramState } from '../ngram.js';

export const ngramSpeculator = defineSpeculator({
  kind: 'ngram',
  description: 'Prompt lookup: continuations of the last n tokens (n = maxN..minN) in prompt + output.',
  options: {
    minN: positiveInt.default(1).describe('Shortest n-gram matched.'),
    maxN: positiveInt.default(4).describe('Longest n-gram matched (tried first).'),
    maxTokens: positiveInt.default(10).describe('Deepest speculated token (length of the proposed continuation).'),
    maxBranches: positiveInt.default(4).describe('Distinct continuations per row at most (branches).'),
    rank: z.enum(['recent', 'frequent']).default('recent').describe('Order of continuations: latest occurrence first, or most frequent first.'),
    policy: policyOption,
  },

  rules: [{ path: 'minN', message: 'minN must be <= maxN', ok: (c) => c.minN <= c.maxN }],
  // The best continuation of each of maxBranches matches (bad options are clamped so that the speculator itself reports them).
  defaultPolicy: (c) => policyConfig('static', { expansion: [Math.max(1, c.maxBranches), ...Array.from({ length: Math.max(0, c.maxTokens - 1) }, () => 1)] }),
  create: async (c, d) => {
    new NgramState(c, new Int32Array(0)); // validates the options now rather than at the first request
    return new LookupSpeculator('ngram', d.policy, (prompt) => new NgramState(c, prompt));
  },
});
