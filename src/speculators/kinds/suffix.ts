/** SuffixDecoding: suffix trees over the request's own context and earlier outputs. */
import { z } from 'zod';
import { policyConfig } from '../../tree/policies.js';
import { count, defineSpeculator, policyOption, positiveInt } from '../define.js';
import { LookupSpeculator } from '../lookup.js';
import { SuffixCache, SuffixState } from '../suffix.js';

export const suffixSpeculator = defineSpeculator({
  kind: 'suffix',
  description: 'SuffixDecoding: a per-request suffix tree over prompt + output and a global one over earlier outputs.',
  options: {
    maxDepth: positiveInt.default(24).describe('Longest suffix matched (depth of the suffix trees).'),
    maxSpecFactor: z.number().min(0).default(4).describe('Tree size cap: maxSpecFactor * (root match length) nodes.'),
    minTokenProb: z.number().min(0).max(1).default(0.1).describe('Skip nodes whose estimated path probability is below this.'),
    maxCachedRequests: count.default(256).describe('Earlier outputs kept in the global suffix tree (oldest evicted first).'),
    policy: policyOption,
  },

  // Greedy best-first by path probability (bad options are clamped so that the speculator itself reports them).
  defaultPolicy: (c) => policyConfig('dynamic', { depth: Math.max(1, c.maxDepth), topK: 8, beam: 0, minProb: 0 }),
  create: async (c, d) => {
    const cache = new SuffixCache(c);
    return new LookupSpeculator('suffix', d.policy, (prompt) => new SuffixState(c, cache, prompt));
  },
});
