/** Retrieval (LLMA, NEST): continuations copied from a corpus and the request's references. */
import { z } from 'zod';
import { policyConfig } from '../../tree/policies.js';
import { corpusProblem, readCorpus } from '../corpus.js';
import { defineSpeculator, policyOption, positiveInt } from '../define.js';
import { LookupSpeculator } from '../lookup.js';
import { RetrievalIndex, RetrievalState } from '../retrieval.js';

export const retrievalSpeculator = defineSpeculator({
  kind: 'retrieval',
  description: "Retrieval (LLMA, NEST): copies continuations of the context's longest suffix from a corpus and the request's reference documents (suffix trees).",
  options: {
    corpus: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Corpus file indexed once per run: plain text (documents separated by blank lines) or .jsonl (one {"text": ...} per line); path from the working directory. Absent: only the requests\' references.',
      ),
    maxDepth: positiveInt.default(24).describe('Longest suffix matched (depth of the suffix trees), tokens.'),
    maxSpecFactor: z.number().min(0).default(4).describe('Tree size cap: maxSpecFactor * (root match length) nodes.'),
    minTokenProb: z.number().min(0).max(1).default(0.1).describe('Skip nodes whose estimated path probability is below this.'),
    policy: policyOption,
  },

  // Greedy best-first by path probability, as suffix.
  defaultPolicy: (c) => policyConfig('dynamic', { depth: Math.max(1, c.maxDepth), topK: 8, beam: 0, minProb: 0 }),
  problems: (c) => {
    const problem = c.corpus === undefined ? undefined : corpusProblem(c.corpus);
    return problem === undefined ? [] : [{ path: 'corpus', problem }];
  },
  create: async (c, d) => {
    const index = new RetrievalIndex(c, c.corpus === undefined ? [] : readCorpus(c.corpus).map((doc) => d.encode(doc)));
    return new LookupSpeculator('retrieval', d.policy, (prompt, refs) => new RetrievalState(c, index, prompt, refs));
  },
});
