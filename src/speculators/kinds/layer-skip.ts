/** Layer-skip self-speculation: the target's first layers draft. */
import { defineSpeculator, draftTraits, policyOption, positiveInt } from '../define.js';
import { DraftModelSpeculator } from '../draft-model.js';

export const layerSkipSpeculator = defineSpeculator({
  kind: 'layer-skip',
  description: "Layer-skip self-speculation: the target's first layers + final norm + classifier as the draft.",
  options: {
    layers: positiveInt.default(2).describe("The target's first `layers` layers (+ final norm + classifier) draft; no new weights."),
    policy: policyOption,
  },

  traits: (_c, ctx) => draftTraits(1, ctx),
  create: async (c, d) => new DraftModelSpeculator([await d.layerSkipModel(c.layers)], d.policy, 'layer-skip'),
});
