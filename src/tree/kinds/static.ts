/** SpecInfer's expansion-based tree <k1, ..., km>. */
import { z } from 'zod';
import { childrenOption, definePolicy, positiveInt } from '../define.js';
import { StaticExpansionPolicy } from '../static-expansion.js';

export const staticPolicy = definePolicy({
  kind: 'static',
  description: "SpecInfer's expansion-based tree <k1,...,km>.",
  options: {
    expansion: z
      .array(positiveInt)
      .min(1)
      .default([1, 1, 3, 1, 1, 1, 1, 1])
      .describe('<k1, ..., km>: every node at level i gets k_i children (breadth-first, under the node budget). SpecInfer uses <1,1,3,1,1,1,1,1>.'),
    children: childrenOption,
  },
  create: (c, d) => new StaticExpansionPolicy({ expansion: c.expansion, children: c.children, ...d }),
});
