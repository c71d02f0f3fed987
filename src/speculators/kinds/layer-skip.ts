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
  problems: (c, target) => {
    const problem = target === undefined ? undefined : layerSkipProblem(target.id, target.nLayers, c.layers);
    return problem === undefined ? [] : [{ path: 'layers', problem }];
  },
  create: async (c, d) => new DraftModelSpeculator([await d.layerSkipModel(c.layers)], d.policy, 'layer-skip'),
});

/** Why a layer-skip draft of `layers` layers of a target with `total` layers is impossible, or undefined. */
export function layerSkipProblem(targetId: string, total: number, layers: number): string | undefined {
  if (Number.isInteger(layers) && layers >= 1 && layers <= total) return undefined;
  return `layer-skip: layers must be an integer in 1..${total} (the target ${targetId} has ${total} layers), got ${layers}`;
}
