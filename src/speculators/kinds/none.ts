/** The baseline: no speculation (incremental decoding). */
import { defineSpeculator } from '../define.js';
import { NoSpeculator } from '../none.js';

export const noneSpeculator = defineSpeculator({
  kind: 'none',
  description: 'No speculation: incremental decoding (the baseline).',
  options: {},
  usesPolicy: false,
  traits: () => ({ children: 'none', chain: true }),
  create: async () => new NoSpeculator(),
});
