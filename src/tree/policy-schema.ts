/**
 * Tree policy configs as zod schemas: the one definition behind the
 * TypeScript config types (z.output), the defaults (POLICY_DEFAULTS in
 * policies.ts are these schemas applied to `{ kind }`), config-file
 * validation and the JSON Schema of experiment files. Objects are strict:
 * each kind takes its own options only.
 */
import { z } from 'zod';

const positiveInt = z.number().int().min(1);
const probability = z.number().min(0).max(1);

const children = z
  .enum(['auto', 'sample', 'top-k'])
  .default('auto')
  .describe("How children are taken from draft logits: 'auto' samples when temperature > 0 and takes the top-k when greedy; 'sample' always draws them from q; 'top-k' always takes the most probable.");

/** Shapes (before any refinement): parsing `{ kind }` with them gives each kind's defaults. */
export const POLICY_SHAPES = {
  static: {
    kind: z.literal('static'),
    expansion: z
      .array(positiveInt)
      .min(1)
      .default([1, 1, 3, 1, 1, 1, 1, 1])
      .describe('<k1, ..., km>: every node at level i gets k_i children (breadth-first, under the node budget). SpecInfer uses <1,1,3,1,1,1,1,1>.'),
    children,
  },
  chain: {
    kind: z.literal('chain'),
    depth: positiveInt.default(8).describe('Chain length (sequence-based speculation).'),
    children,
  },
  dynamic: {
    kind: z.literal('dynamic'),
    depth: positiveInt.default(8).describe('Levels to expand at most.'),
    topK: positiveInt.default(4).describe('Candidates below each expanded node.'),
    beam: z.number().int().min(0).default(8).describe("Nodes expanded per round: the newest level's best (search 'level'; 0 = the node budget: exact best-first) or the best unexpanded nodes of any level (search 'best-first'; 0 = all that can enter the tree)."),
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
  'p-split': {
    kind: z.literal('p-split'),
    depth: positiveInt.default(8).describe('Levels at most.'),
    pSplit: probability.default(0.1).describe("Branch when a runner-up candidate's probability exceeds this (llama.cpp p_split)."),
    pMin: probability.default(0).describe("End a branch when its best candidate's probability is below this (llama.cpp p_min; 0 = never)."),
    maxBranches: positiveInt.default(8).describe('Most branches (1 = a chain).'),
  },
  sequoia: {
    kind: z.literal('sequoia'),
    acceptance: z
      .array(probability)
      .min(1)
      .default([0.71, 0.138, 0.052, 0.024, 0.014, 0.024, 0.009, 0.003])
      .refine((p) => p.reduce((s, v) => s + v, 0) <= 1 + 1e-9, { message: 'per-rank acceptance probabilities must sum to <= 1' })
      .describe(
        'Per-rank acceptance probabilities p_1 >= p_2 >= ... (sum <= 1), from a calibration run. The default was measured for stories260K-ssm-m against stories260K (calibrateAcceptance, top-8, greedy); calibrate your own pair.',
      ),
    depth: positiveInt.default(10).describe('Deepest level.'),
    hardware: z
      .strictObject({
        forwardMs: z.record(z.string(), z.number().min(0)).describe("The target's forward latency (ms) by tree rows, e.g. from results/bench/engine.json."),
        draftMsPerLevel: z.number().min(0).default(0).describe('Draft cost per tree level, milliseconds (0 for model-free proposers).'),
      })
      .optional()
      .describe('Optional latency model: maximize tokens per millisecond rather than per step.'),
  },
} as const;

const DESCRIPTIONS = {
  static: "SpecInfer's expansion-based tree <k1,...,km>.",
  chain: 'Width 1: sequence-based speculation.',
  dynamic: 'EAGLE-2 style: expand the best N nodes per level by path probability, keep the best maxNodes overall.',
  'p-split': "llama.cpp's p_split: a chain that branches when a runner-up's probability exceeds p.",
  sequoia: 'The DP-optimal tree for a per-rank acceptance vector (Sequoia); hardware-aware with a latency curve.',
} as const;

const staticPolicySchema = z.strictObject(POLICY_SHAPES.static).describe(DESCRIPTIONS.static);
const chainPolicySchema = z.strictObject(POLICY_SHAPES.chain).describe(DESCRIPTIONS.chain);
const dynamicPolicySchema = z.strictObject(POLICY_SHAPES.dynamic).describe(DESCRIPTIONS.dynamic);
const pSplitPolicySchema = z.strictObject(POLICY_SHAPES['p-split']).describe(DESCRIPTIONS['p-split']);
const sequoiaPolicySchema = z.strictObject(POLICY_SHAPES.sequoia).describe(DESCRIPTIONS.sequoia);

/** Any tree policy, selected by `kind`. */
export const policySchema = z
  .discriminatedUnion('kind', [staticPolicySchema, chainPolicySchema, dynamicPolicySchema, pSplitPolicySchema, sequoiaPolicySchema])
  .meta({ id: 'TreePolicy', description: 'A tree policy: decides the shape of the token tree (selected by kind).' });

export type StaticPolicyConfig = z.output<typeof staticPolicySchema>;
export type PolicyConfig = z.output<typeof policySchema>;
