/** EAGLE-2 / SpecExec: grow by path probability under the node budget. */
import { z } from 'zod';
import { definePolicy, positiveInt, probability } from '../define.js';
import { DynamicPolicy } from '../dynamic.js';

export const dynamicPolicy = definePolicy({
  kind: 'dynamic',
  description: 'EAGLE-2 style: expand the best N nodes per level by path probability, keep the best maxNodes overall.',
  options: {
    depth: positiveInt.default(8).describe('Levels to expand at most.'),
    topK: positiveInt.default(4).describe('Candidates below each expanded node.'),
    beam: z
      .number()
      .int()
      .min(0)
      .default(8)
      .describe(
        "Nodes expanded per round: the newest level's best (search 'level'; 0 = the node budget: exact best-first) or the best unexpanded nodes of any level (search 'best-first'; 0 = all that can enter the tree).",
      ),
    minProb: probability.default(0).describe('Drop candidates whose path probability is below this.'),
    search: z
      .enum(['level', 'best-first'])
      .default('level')
      .describe(
        "'level': expand the newest level's best `beam` nodes per round (EAGLE-2); 'best-first': a global heap, each round the `beam` best unexpanded nodes of any level that can still enter the top maxNodes (SpecExec).",
      ),
    maxNodes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        "Nodes per tree at most, below the run's node budget. Default: the run's budget; for a quantized target with a measured cost curve, the budget maximizing expected tokens per millisecond (docs/performance.md#tree-budgets-from-the-cost-curve).",
      ),
  },
  create: (c, d) => new DynamicPolicy({ ...c, ...d }),
});
