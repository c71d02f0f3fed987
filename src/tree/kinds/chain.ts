/** Width 1 everywhere: sequence-based speculation. */
import { childrenOption, definePolicy, positiveInt } from '../define.js';
import { StaticExpansionPolicy } from '../static-expansion.js';

export const chainPolicy = definePolicy({
  kind: 'chain',
  description: 'Width 1: sequence-based speculation.',
  options: {
    depth: positiveInt.default(8).describe('Chain length (sequence-based speculation).'),
    children: childrenOption,
  },
  create: (c, d) => new StaticExpansionPolicy({ expansion: Array.from({ length: c.depth }, () => 1), children: c.children, ...d }),
});
