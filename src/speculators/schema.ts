/**
 * Speculator configs as zod schemas: the one definition behind the
 * TypeScript config types (z.output), the defaults (SPECULATOR_DEFAULTS in
 * registry.ts are these shapes applied to `{ kind }`), config-file
 * validation and the JSON Schema of experiment files. Objects are strict:
 * each kind takes its own options only.
 */
import { z } from 'zod';
import { policySchema } from '../tree/policy-schema.js';

const positiveInt = z.number().int().min(1);
const count = z.number().int().min(0);

/** A model reference: a name under $SPECINFER_MODELS, a folder, a .bin or .gguf path, or random:tiny[:SEED]. */
export const modelRef = z
  .string()
  .min(1)
  .describe('A model: a name under $SPECINFER_MODELS, a folder, a llama2.c .bin or .gguf path, or random:tiny / random:stories110M[:SEED].');

/** Storage of a model's layer matrices (src/model/quant.ts); absent = as the file stores them. */
export const weightsSchema = z
  .enum(['f32', 'q8_0', 'q4_0'])
  .describe(
    "Layer matrices as float32, or quantized at load as llama.cpp's Q8_0 / Q4_0 (run by onnxruntime's MatMulNBits); absent = as stored (a GGUF's Q8_0 / Q4_0 tensors stay quantized). Embeddings, classifier and norms stay float32.",
  );

const policy = policySchema
  .optional()
  .describe("This speculator's own tree policy; without one, the run's `policy`, else the kind's default.");

/** Shapes (before refinements): parsing `{ kind }` with them gives each kind's defaults. */
export const SPECULATOR_SHAPES = {
  none: {
    kind: z.literal('none'),
  },
  'draft-model': {
    kind: z.literal('draft-model'),
    models: z.array(modelRef).default([]).describe('Draft models (SSMs) by reference; two or more build merge-based trees. At least one.'),
    weights: weightsSchema.optional().describe('Storage of every draft\'s layer matrices (f32, q8_0, q4_0); absent = as stored.'),
    policy,
  },
  gsd: {
    kind: z.literal('gsd'),
    models: z.array(modelRef).default([]).describe('Draft models (SSMs) by reference, as for draft-model. At least one.'),
    weights: weightsSchema.optional().describe('Storage of every draft\'s layer matrices (f32, q8_0, q4_0); absent = as stored.'),
    context: positiveInt.default(2).describe('Tree rows whose last `context` tokens (history + path) are equal share one draft distribution, computed once.'),
    policy,
  },
  'layer-skip': {
    kind: z.literal('layer-skip'),
    layers: positiveInt.default(2).describe("The target's first `layers` layers (+ final norm + classifier) draft; no new weights."),
    policy,
  },
  ngram: {
    kind: z.literal('ngram'),
    minN: positiveInt.default(1).describe('Shortest n-gram matched.'),
    maxN: positiveInt.default(4).describe('Longest n-gram matched (tried first).'),
    maxTokens: positiveInt.default(10).describe('Deepest speculated token (length of the proposed continuation).'),
    maxBranches: positiveInt.default(4).describe('Distinct continuations per row at most (branches).'),
    rank: z.enum(['recent', 'frequent']).default('recent').describe('Order of continuations: latest occurrence first, or most frequent first.'),
    policy,
  },
  suffix: {
    kind: z.literal('suffix'),
    maxDepth: positiveInt.default(24).describe('Longest suffix matched (depth of the suffix trees).'),
    maxSpecFactor: z.number().min(0).default(4).describe('Tree size cap: maxSpecFactor * (root match length) nodes.'),
    minTokenProb: z.number().min(0).max(1).default(0.1).describe('Skip nodes whose estimated path probability is below this.'),
    maxCachedRequests: count.default(256).describe('Earlier outputs kept in the global suffix tree (oldest evicted first).'),
    policy,
  },
  retrieval: {
    kind: z.literal('retrieval'),
    corpus: z
      .string()
      .min(1)
      .optional()
      .describe('Corpus file indexed once per run: plain text (documents separated by blank lines) or .jsonl (one {"text": ...} per line); path from the working directory. Absent: only the requests\' references.'),
    maxDepth: positiveInt.default(24).describe('Longest suffix matched (depth of the suffix trees), tokens.'),
    maxSpecFactor: z.number().min(0).default(4).describe('Tree size cap: maxSpecFactor * (root match length) nodes.'),
    minTokenProb: z.number().min(0).max(1).default(0.1).describe('Skip nodes whose estimated path probability is below this.'),
    policy,
  },
  recycle: {
    kind: z.literal('recycle'),
    k: positiveInt.default(8).describe("Width of the adjacency table (the target's top-k kept per token)."),
    policy,
  },
  hybrid: {
    kind: z.literal('hybrid'),
    mode: z
      .enum(['merge', 'switch'])
      .default('merge')
      .describe("'merge': one tree, prefix union of every part's; 'switch': one part per step (see minMatch)."),
    minMatch: count.default(3).describe("'switch': the first part whose match length reaches this is used (parts without one always qualify)."),
    // A getter: the schema is recursive (parts are speculators); its type is the hand-written one below.
    get parts(): z.ZodDefault<z.ZodArray<z.ZodType<SpeculatorConfig, SpeculatorInput>>> {
      return z.array(speculatorSchema).default([]).describe('The speculators combined (at least one).');
    },
  },
};

const noneSchema = z.strictObject(SPECULATOR_SHAPES.none).describe('No speculation: incremental decoding (the baseline).');

const draftModelSchema = z
  .strictObject(SPECULATOR_SHAPES['draft-model'])
  .refine((c) => c.models.length > 0, { path: ['models'], message: "speculator 'draft-model' needs at least one draft model in `models`" })
  .describe('Small speculative models (SSMs) propose trees from their logits (expansion-based; merge-based with several).');

const gsdSchema = z
  .strictObject(SPECULATOR_SHAPES.gsd)
  .refine((c) => c.models.length > 0, { path: ['models'], message: "speculator 'gsd' needs at least one draft model in `models`" })
  .describe('Graph-structured drafts (GSD): draft models whose tree rows with equal recent context share one draft forward row (a DAG, expanded into a tree for verification).');

const layerSkipSchema = z
  .strictObject(SPECULATOR_SHAPES['layer-skip'])
  .describe("Layer-skip self-speculation: the target's first layers + final norm + classifier as the draft.");

const ngramSchema = z
  .strictObject(SPECULATOR_SHAPES.ngram)
  .refine((c) => c.minN <= c.maxN, { path: ['minN'], message: 'minN must be <= maxN' })
  .describe('Prompt lookup: continuations of the last n tokens (n = maxN..minN) in prompt + output.');

const suffixSchema = z
  .strictObject(SPECULATOR_SHAPES.suffix)
  .describe('SuffixDecoding: a per-request suffix tree over prompt + output and a global one over earlier outputs.');

const retrievalSchema = z
  .strictObject(SPECULATOR_SHAPES.retrieval)
  .describe("Retrieval (LLMA, NEST): copies continuations of the context's longest suffix from a corpus and the request's reference documents (suffix trees).");

const recycleSchema = z
  .strictObject(SPECULATOR_SHAPES.recycle)
  .describe("Token recycling: the target's top-k after each token, from every target forward (needs the target's logits: not replayable).");

const hybridSchema = z
  .strictObject(SPECULATOR_SHAPES.hybrid)
  .refine((c) => c.parts.length > 0, { path: ['parts'], message: "speculator 'hybrid' needs at least one part in `parts`" })
  .describe('Several speculators: one merged tree (merge) or one of them per step (switch).');

/** Any speculator, selected by `kind`. */
export const speculatorSchema: z.ZodType<SpeculatorConfig, SpeculatorInput> = z
  .discriminatedUnion('kind', [noneSchema, draftModelSchema, gsdSchema, layerSkipSchema, ngramSchema, suffixSchema, retrievalSchema, recycleSchema, hybridSchema])
  .meta({ id: 'Speculator', description: 'A speculator: proposes candidate tokens (selected by kind).' });

export type NoneConfig = z.output<typeof noneSchema>;
export type DraftModelConfig = z.output<typeof draftModelSchema>;
export type GsdConfig = z.output<typeof gsdSchema>;
export type LayerSkipConfig = z.output<typeof layerSkipSchema>;
export type NgramConfig = z.output<typeof ngramSchema>;
export type SuffixConfig = z.output<typeof suffixSchema>;
export type RetrievalConfig = z.output<typeof retrievalSchema>;
export type RecycleConfig = z.output<typeof recycleSchema>;

type Leaf =
  | typeof noneSchema
  | typeof draftModelSchema
  | typeof gsdSchema
  | typeof layerSkipSchema
  | typeof ngramSchema
  | typeof suffixSchema
  | typeof retrievalSchema
  | typeof recycleSchema;

/**
 * A hybrid's config. Written out because the schema is recursive (TypeScript
 * cannot infer a type through its own definition); the checks below keep it
 * equal to the schema's output.
 */
export interface HybridConfig {
  kind: 'hybrid';
  mode: 'merge' | 'switch';
  minMatch: number;
  parts: SpeculatorConfig[];
}

interface HybridInput {
  kind: 'hybrid';
  mode?: 'merge' | 'switch';
  minMatch?: number;
  parts?: SpeculatorInput[];
}

export type SpeculatorConfig = z.output<Leaf> | HybridConfig;
export type SpeculatorInput = z.input<Leaf> | HybridInput;

// Compile-time checks: the hand-written hybrid types equal the schema's.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const hybridOutputMatches: Same<z.output<typeof hybridSchema>, HybridConfig> = true;
const hybridInputMatches: Same<z.input<typeof hybridSchema>, HybridInput> = true;
void hybridOutputMatches;
void hybridInputMatches;
