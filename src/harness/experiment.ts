/**
 * The experiment file schema (one YAML file = one experiment, docs/design.md#experiments),
 * defined once with zod: config types come from it (z.output), `specinfer
 * validate` checks files against it, and configs/schema.json (for editors) is
 * generated from it (`npm run schema`). Every component is selected by `kind`
 * and takes its own options only (strict objects).
 */
import { z } from 'zod';
import { modelRef, speculatorSchema, SPECULATOR_DEFAULTS, weightsSchema, type SpeculatorConfig } from '../speculators/registry.js';
import { policySchema } from '../tree/policies.js';
import { verifierKindSchema } from '../verifiers/index.js';
import { GRAPH_KINDS } from '../model/graph/llama-graph.js';
import { pluginsSchema } from './plugins.js';

const positiveInt = z.number().int().min(1);
const count = z.number().int().min(0);

const samplingSchema = z
  .strictObject({
    temperature: z.number().min(0).default(0).describe('Sampling temperature of the target (and the drafts): 0 = greedy (argmax).'),
    topK: count.default(0).describe('Keep the k most probable tokens (0 = off).'),
    topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling mass (1 = off).'),
  })
  .describe("Sampling parameters, applied to the target's distribution before verification (and the same transform to the drafts').");

const verifierSchema = z
  .strictObject({
    kind: verifierKindSchema,
  })
  .describe('The verifier (selected by kind).');

const engineSchema = z
  .strictObject({
    threads: count.default(1).describe('onnxruntime intra-op threads (0 = one per core).'),
    executionProviders: z.array(z.string().min(1)).min(1).default(['cpu']).describe('onnxruntime execution providers in priority order, e.g. [cuda, cpu].'),
    graph: z
      .enum(GRAPH_KINDS)
      .default('fused')
      .describe('fused: onnxruntime Attention/RotaryEmbedding/RMSNormalization kernels (fast); reference: plain ONNX primitives (the graph the tests check fused against).'),
    lanesFromRows: positiveInt
      .optional()
      .describe(
        'Fused graph: forwards of at least this many rows (batch x tree rows) run in the lanes layout (weights as the broadcast GEMM operand: 1 to 16 rows cost the same instructions). Default: 8 for models with over 64 MiB of weights, else never (a number above any forward, e.g. 1000000, turns it off).',
      ),
    quantAccuracy: z
      .union([z.literal(0), z.literal(4)])
      .optional()
      .describe(
        "Quantized layer matrices: onnxruntime MatMulNBits' accuracy_level. 4 (default): int8 activations, fast, as llama.cpp; 0: float activations, exact float math on the dequantized weights (Q8_0 then takes a slow path). See docs/quantization.md.",
      ),
  })
  .describe('How models run.');

const measureSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('decode') }).describe('Speculative decoding: one record per step (steps.jsonl).'),
    z
      .strictObject({
        kind: z.literal('topk-agreement'),
        maxK: positiveInt.max(64).default(5).describe('Largest k measured (k = 1..maxK).'),
      })
      .describe(
        "SpecInfer Table 1: along the target's trace (greedy at temperature 0, else sampled with the seed), whether the target's token is among the draft's top-k (speculator: one draft-model).",
      ),
  ])
  .describe('What a cell measures.');

/** Keys of one cell's config (everything but `sweep`). */
const cellShape = {
  name: z
    .string()
    .regex(/^[\w.-]+$/, 'use letters, digits, ".", "_" and "-" only')
    .optional()
    .describe("The experiment's name (default: the file name); titles the report, names default output folders."),
  description: z.string().optional().describe('What the experiment shows (free text).'),
  target: modelRef.describe('The target model (LLM).'),
  targetWeights: weightsSchema.optional().describe("Storage of the target's layer matrices (f32, q8_0, q4_0); absent = as stored."),
  speculator: z
    .union([speculatorSchema, z.array(speculatorSchema).min(1)])
    .default({ kind: 'none' })
    .describe('The speculator; a list of several is a hybrid (mode merge). Default none: incremental decoding.'),
  policy: policySchema.optional().describe("The tree policy of every speculator that names none of its own; absent = each kind's default."),
  verifier: verifierSchema.prefault({ kind: 'greedy' }),
  sampling: samplingSchema.prefault({}),
  workload: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .describe('Prompt set(s): a name from experiments/workloads (without .jsonl) or a path to a JSONL file; a list runs each.'),
  promptsPerWorkload: positiveInt.optional().describe('Use only the first N prompts of each workload.'),
  maxTokens: positiveInt.default(128).describe('Tokens generated per prompt at most.'),
  seeds: z
    .array(count)
    .min(1)
    .optional()
    .describe(
      'Seeds: every prompt runs once per seed; request streams derive from (seed, workload, prompt id). Absent: [0, 1, 2, 3] for a sampled cell (temperature > 0), [0] for a greedy one.',
    ),
  batchSize: positiveInt.default(1).describe('Requests decoded together.'),
  maxNodes: count
    .default(64)
    .describe('Node budget of every tree (the fused graph computes at most max(context, 4096) rows per request, root included: a larger budget is refused when the run is built).'),
  engine: engineSchema.prefault({}),
  allowLossy: z.boolean().default(false).describe('Accept a verifier that is not exact for the tree kind and sampling (recorded as a warning in the run).'),
  baseline: z.boolean().default(true).describe('Add the incremental-decoding baseline of each target (and batch size), so speedups are measured in the same run.'),
  warmupTokens: count.default(16).describe('Each cell first decodes one unrecorded request of this many tokens (0 = none), so timings exclude warm-up.'),
  measure: measureSchema.prefault({ kind: 'decode' }),
};

/** One cell's config: the file without `sweep`, with a sweep point applied. */
export const cellConfigSchema = z.strictObject(cellShape);

/** A sweep value with a short name for tables and charts. */
const namedSweepValueSchema = z
  .strictObject({
    name: z.string().min(1).describe('The label of the cells with this value, e.g. tree-8.'),
    value: z.unknown().describe('The value the key path takes.'),
  })
  .describe('A sweep value with a name: {name: tree-8, value: {...}}.');

const sweepSchema = z
  .record(z.string(), z.array(z.union([namedSweepValueSchema, z.unknown()])).min(1))
  .describe(
    'A grid: each key is a key path (e.g. policy.expansion, verifier.kind, batchSize), each value the list of values it takes; every combination is one cell (first key slowest). ' +
      'A key of several paths joined by "," (e.g. "verifier.kind,sampling.temperature") takes lists of one value per path, varied together. ' +
      'A value may be given a name, {name: NAME, value: VALUE}, which labels its cells in tables and charts (else labels are made from the values).',
  );

/** The whole file. */
export const experimentSchema = z
  .strictObject({ plugins: pluginsSchema.optional(), ...cellShape, sweep: sweepSchema.optional() })
  .describe('A specinfer experiment: a target, speculators, a tree policy, a verifier, sampling parameters and a workload, optionally swept.');

export type CellConfig = z.output<typeof cellConfigSchema>;

/** The speculator of a cell: a list is a hybrid merge of its entries. */
export function cellSpeculator(c: Pick<CellConfig, 'speculator'>): SpeculatorConfig {
  if (!Array.isArray(c.speculator)) return c.speculator;
  return c.speculator.length === 1 ? c.speculator[0] : { ...SPECULATOR_DEFAULTS.hybrid, parts: c.speculator };
}

/** Seeds of a cell whose config names none: several when it samples (intervals then cover the sampling), one when greedy. */
const DEFAULT_SAMPLED_SEEDS: readonly number[] = [0, 1, 2, 3];
const DEFAULT_GREEDY_SEEDS: readonly number[] = [0];

/** The seeds a cell runs: its own, else the default for its temperature. */
export function cellSeeds(c: Pick<CellConfig, 'seeds' | 'sampling'>): number[] {
  if (c.seeds) return c.seeds;
  return [...(c.sampling.temperature > 0 ? DEFAULT_SAMPLED_SEEDS : DEFAULT_GREEDY_SEEDS)];
}

/** The workloads of a cell, as a list. */
export function cellWorkloads(c: Pick<CellConfig, 'workload'>): string[] {
  return Array.isArray(c.workload) ? c.workload : [c.workload];
}

/** The JSON Schema of experiment files (configs/schema.json), for editor support. */
export function experimentJsonSchema(): object {
  return z.toJSONSchema(experimentSchema, { io: 'input', target: 'draft-2020-12' });
}
