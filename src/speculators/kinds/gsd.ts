/** Graph-structured drafts: draft models whose rows with equal recent context share one draft row. */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { defineSpeculator, draftTraits, modelRef, policyOption, positiveInt, weightsSchema } from '../define.js';
import { gsdSpeculator as createGsd } from '../gsd.js';

export const gsdSpeculator = defineSpeculator({
  kind: 'gsd',
  description: 'Graph-structured drafts (GSD): draft models whose tree rows with equal recent context share one draft forward row (a DAG, expanded into a tree for verification).',
  options: {
    models: z.array(modelRef).default([]).describe('Draft models (SSMs) by reference, as for draft-model. At least one.'),
    weights: weightsSchema.optional().describe("Storage of every draft's layer matrices (f32, q8_0, q4_0); absent = as stored."),
    context: positiveInt.default(2).describe('Tree rows whose last `context` tokens (history + path) are equal share one draft distribution, computed once.'),
    policy: policyOption,
  },

  rules: [{ path: 'models', message: "speculator 'gsd' needs at least one draft model in `models`", ok: (c) => c.models.length > 0 }],
  traits: (c, ctx) => draftTraits(c.models.length, ctx),
  models: (c) => c.models,
  example: { models: ['stories260K-ssm-m'] },
  create: async (c, d) => {
    if (c.models.length === 0) throw new ConfigError("speculator 'gsd' needs at least one draft model (--draft NAME)");
    return createGsd(await d.draftModels(c.models, c.weights), d.policy, c.context);
  },
});
