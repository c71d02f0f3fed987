/** llama.cpp's p_split: a chain that branches on a likely runner-up. */
import { definePolicy, positiveInt, probability } from '../define.js';
import { PSplitPolicy } from '../p-split.js';

export const pSplitPolicy = definePolicy({
  kind: 'p-split',
  description: "llama.cpp's p_split: a chain that branches when a runner-up's probability exceeds p.",
  options: {
    depth: positiveInt.default(8).describe('Levels at most.'),
    pSplit: probability.default(0.1).describe("Branch when a runner-up candidate's probability exceeds this (llama.cpp p_split)."),
    pMin: probability.default(0).describe("End a branch when its best candidate's probability is below this (llama.cpp p_min; 0 = never)."),
    maxBranches: positiveInt.default(8).describe('Most branches (1 = a chain).'),
  },
  create: (c, d) => new PSplitPolicy({ ...c, ...d }),
});
