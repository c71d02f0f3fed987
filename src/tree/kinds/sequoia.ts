/**
 * Sequoia: the DP-optimal tree for a per-rank acceptance vector. The default
 * vector is what calibrateAcceptance() measured for stories260K-ssm-m against
 * stories260K (top-8, greedy, the 32 story-openings x 128 tokens); calibrate
 * your own pair for real use.
 */
import { z } from 'zod';
import { definePolicy, positiveInt, probability } from '../define.js';
import { SequoiaPolicy } from '../sequoia-policy.js';

export const sequoiaPolicy = definePolicy({
  kind: 'sequoia',
  description: 'The DP-optimal tree for a per-rank acceptance vector (Sequoia); hardware-aware with a latency curve.',
  options: {
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
  create: (c, d) => new SequoiaPolicy({ ...c, ...d }),
});
