/** Small speculative models (SSMs) drafting trees from their logits. */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { defineSpeculator, draftTraits, modelRef, policyOption, weightsSchema } from '../define.js';
import { DraftModelSpeculator } from '../draft-model.js';

export const draftModelSpeculator = defineSpeculator({
  kind: 'draft-model',
  description: 'Small speculative models (SSMs) propose trees from their logits (expansion-based; merge-based with several).',
  options: {
    models: z.array(modelRef).default([]).describe('Draft models (SSMs) by reference; two or more build merge-based trees. At least one.'),
    weights: weightsSchema.optional().describe("Storage of every draft's layer matrices (f32, q8_0, q4_0); absent = as stored."),
    policy: policyOption,
  },

  rules: [{ path: 'models', message: "speculator 'draft-model' needs at least one draft model in `models`", ok: (c) => c.models.length > 0 }],
  traits: (c, ctx) => draftTraits(c.models.length, ctx),
  models: (c) => c.models,
  example: { models: ['stories260K-ssm-m'] },
  create: async (c, d) => {
    if (c.models.length === 0) throw new ConfigError("speculator 'draft-model' needs at least one draft model (--draft NAME)");
    return new DraftModelSpeculator(await d.draftModels(c.models, c.weights), d.policy);
  },
});
