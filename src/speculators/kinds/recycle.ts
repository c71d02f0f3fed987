/** Token recycling: the target's own top-k after each token, as an adjacency table. */
import { policyConfig } from '../../tree/policies.js';
import { defineSpeculator, policyOption, positiveInt } from '../define.js';
import { LookupSpeculator } from '../lookup.js';
import { RecycleState, RecycleTable } from '../recycle.js';

export const recycleSpeculator = defineSpeculator({
  kind: 'recycle',
  description: "Token recycling: the target's top-k after each token, from every target forward (needs the target's logits: not replayable).",
  options: {
    k: positiveInt.default(8).describe("Width of the adjacency table (the target's top-k kept per token)."),
    policy: policyOption,
  },

  // Breadth-first over the table, narrowing with depth (measured best of a few on stories260K).
  defaultPolicy: (c) => policyConfig('static', { expansion: [4, 2, 2, 1, 1, 1, 1, 1, 1, 1].map((w) => Math.max(1, Math.min(w, c.k))) }),
  needsTargetLogits: true,
  create: async (c, d) => {
    const table = new RecycleTable(d.vocabSize, c.k);
    return new LookupSpeculator('recycle', d.policy, (prompt) => new RecycleState(table, prompt));
  },
});
