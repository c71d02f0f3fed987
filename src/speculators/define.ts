/**
 * A speculator kind as one definition: its options (a zod object with
 * defaults and descriptions), default tree policy, tree traits, the draft
 * models it loads and its factory. The registry (registry.ts) is the list of
 * definitions; the config schema, defaults, docs table, CLI `--set` and the
 * conformance suite all derive from it.
 */
import { z } from 'zod';
import { optionsDefinition, type ConfigOf, type ConfigShape, type InputOf, type OptionsDefinition } from '../core/kinds.js';
import type { Model } from '../core/model.js';
import type { WeightsType } from '../model/formats/quant.js';
import type { TreeTraits } from '../tree/draft-tree.js';
import { policyConfig, type PolicyConfig } from '../tree/policies.js';
import { policySchema } from '../tree/policy-schema.js';
import type { TreePolicy } from '../tree/policy.js';
import type { SamplingParams } from '../sampling/params.js';
import type { SpeculatorConfig } from './schema.js';
import type { Speculator } from './types.js';

/** What factories may use besides their own options. */
export interface SpeculatorDeps {
  /** The tree policy this speculator uses (its own, the run's, or its kind's default), built. */
  readonly policy: TreePolicy;
  /** The target's vocabulary size. */
  readonly vocabSize: number;
  /** Text as the target's token ids (its tokenizer, no BOS). */
  encode(text: string): Int32Array;
  /** Engine models of draft references (vocabulary already checked). */
  draftModels(refs: readonly string[], weights?: WeightsType): Promise<Model[]>;
  /** The target's first `layers` layers as an engine model sharing its weights. */
  layerSkipModel(layers: number): Promise<Model>;
  /** Builds a part of a hybrid (with its own policy resolution). */
  build(cfg: SpeculatorConfig): Promise<Speculator>;
}

/** What traits() may use besides the config: known before any model is loaded. */
export interface TraitsContext {
  readonly sampling: SamplingParams;
  /** The tree policy the config uses (its own, the run's, else its kind's default), built with the verifier's draw options. */
  policy(): TreePolicy;
  /** The traits of another config (a hybrid's parts). */
  traitsOf(cfg: SpeculatorConfig): TreeTraits;
}

/** A part of a composite: a speculator config (typed loosely here: the config union is derived from the definitions). */
type PartConfig = { readonly kind: string };

/** What is known of the target before any weights are read (a model header): what problems() may check a config against. */
interface TargetFacts {
  readonly id: string;
  readonly nLayers: number;
  readonly vocabSize: number;
}

/** A problem of one option of a config, found before any model loads: `path` is the option's name. */
interface OptionProblem {
  readonly path: string;
  readonly problem: string;
}

/** A cross-option rule checked when a config is parsed: `ok` false gives `message` at `path`. */
interface OptionRule<C> {
  readonly path: string;
  readonly message: string;
  ok(cfg: C): boolean;
}

/** One speculator kind, complete. Methods are declared as methods so a definition of one kind is usable as one of the union. */
export interface SpeculatorDefinition<C extends { readonly kind: string } = SpeculatorConfig, I = unknown> extends OptionsDefinition<'speculator', C, I> {
  /** Its tree policy when neither it nor the run names one (default: static). */
  defaultPolicy(cfg: C): PolicyConfig;
  /** The kind of trees it builds, from the config alone (mirrors the built speculator's treeTraits()). */
  traits(cfg: C, ctx: TraitsContext): TreeTraits;
  /** Draft model references it loads (for vocabulary checks), in order; a leaf's are its option `models` (a composite's, its parts'). */
  models(cfg: C): readonly string[];
  /** The speculator configs it composes, in order (a hybrid's option `parts`); empty for a leaf. */
  parts(cfg: C): readonly PartConfig[];
  /** Whether it composes other speculators (its parts): then it is built from them, not chosen as a part itself on the command line. */
  readonly composite: boolean;
  /** Whether it shapes trees with a tree policy of its own (false: none, and composites, whose parts do). */
  readonly usesPolicy: boolean;
  /**
   * Problems of its own options found before any model loads: files it
   * reads, fit to the target (`target` undefined when the target does not
   * resolve). Config-file validation reports them at the option.
   */
  problems(cfg: C, target: TargetFacts | undefined): readonly OptionProblem[];
  /** A small working config of this kind (the defaults plus what must be given): what the conformance suite runs. */
  example(): C;
  /** Kinds in `cfg` whose observe() needs the target's logits (they cannot be replayed from a trace). */
  needsTargetLogits(cfg: C): readonly string[];
  /** Builds it; RangeErrors become ConfigErrors naming the kind. */
  create(cfg: C, deps: SpeculatorDeps): Promise<Speculator>;
}

/** What a definition gives; everything but kind, description, options and create has a default. */
export interface SpeculatorSpec<K extends string, S extends z.ZodRawShape, C> {
  readonly kind: K;
  readonly description: string;
  /** The options as a zod shape (`{ name: schema.default(..).describe(..) }`); a recursive option may be a getter. */
  readonly options: S;
  readonly rules?: readonly OptionRule<C>[];
  defaultPolicy?(cfg: C): PolicyConfig;
  traits?(cfg: C, ctx: TraitsContext): TreeTraits;
  models?(cfg: C): readonly string[];
  /** The speculator configs it composes (makes it a composite: its parts' policies are used, not one of its own). */
  parts?(cfg: C): readonly PartConfig[];
  /** False when it builds no trees (default: true for leaves, false for composites). */
  readonly usesPolicy?: boolean;
  problems?(cfg: C, target: TargetFacts | undefined): readonly OptionProblem[];
  /** Options a small working config needs beyond the defaults (e.g. draft models that exist under models/). */
  readonly example?: Readonly<Record<string, unknown>>;
  /** True when observe() needs the target's logits; a function for composites (the kinds in `cfg` that do). */
  readonly needsTargetLogits?: true | ((cfg: C) => readonly string[]);
  create(cfg: C, deps: SpeculatorDeps): Promise<Speculator>;
}

/**
 * A speculator definition from its spec. The config schema is `kind` plus
 * the options (property descriptors copied, so a recursive option may be a
 * getter read only when first parsed), strict, with the rules as refinements.
 */
export function defineSpeculator<K extends string, S extends z.ZodRawShape, C extends { readonly kind: string } = ConfigOf<K, S> & { readonly kind: K }, I = InputOf<K, S>>(
  spec: SpeculatorSpec<K, S, C>,
): SpeculatorDefinition<C, I> {
  const shape = Object.defineProperties({ kind: z.literal(spec.kind) }, Object.getOwnPropertyDescriptors(spec.options)) as ConfigShape<K, S>;
  const plain = z.strictObject(shape);
  let schema: z.ZodType = plain;
  for (const r of spec.rules ?? []) schema = schema.refine((c) => r.ok(c as C), { path: [r.path], message: r.message });
  return Object.freeze({
    ...optionsDefinition<'speculator', C, I>('speculator', spec, plain, schema),
    defaultPolicy: (cfg: C) => spec.defaultPolicy?.(cfg) ?? policyConfig('static'),
    traits: (cfg: C, ctx: TraitsContext) => spec.traits?.(cfg, ctx) ?? lookupTraits(ctx),
    models: (cfg: C) => spec.models?.(cfg) ?? [],
    parts: (cfg: C) => spec.parts?.(cfg) ?? [],
    composite: spec.parts !== undefined,
    usesPolicy: spec.usesPolicy ?? spec.parts === undefined,
    problems: (cfg: C, target: TargetFacts | undefined) => spec.problems?.(cfg, target) ?? [],
    example: () => schema.parse({ ...spec.example, kind: spec.kind }) as C,
    needsTargetLogits: (cfg: C) => (spec.needsTargetLogits === true ? [cfg.kind] : (spec.needsTargetLogits?.(cfg) ?? [])),
    create: (cfg: C, deps: SpeculatorDeps) => spec.create(cfg, deps),
  });
}

/** Model-free proposers: ranked candidates, always deterministic children; a chain when the policy builds one. */
function lookupTraits(ctx: TraitsContext): TreeTraits {
  return { children: 'deterministic', chain: ctx.policy().chain };
}

/** Draft-model proposers: children as the policy draws them; a chain when the policy builds one from one model. */
export function draftTraits(models: number, ctx: TraitsContext): TreeTraits {
  const policy = ctx.policy();
  return { children: policy.childMode(ctx.sampling), chain: policy.chain && models === 1 };
}

export const positiveInt = z.number().int().min(1);
export const count = z.number().int().min(0);

/** A model reference: a name under $SPECINFER_MODELS, a folder, a .bin or .gguf path, or random:tiny[:SEED]. */
export const modelRef = z.string().min(1).describe('A model: a name under $SPECINFER_MODELS, a folder, a llama2.c .bin or .gguf path, or random:tiny / random:stories110M[:SEED].');

/** Storage of a model's layer matrices (src/model/quant.ts); absent = as the file stores them. */
export const weightsSchema = z
  .enum(['f32', 'q8_0', 'q4_0'])
  .describe(
    "Layer matrices as float32, or quantized at load as llama.cpp's Q8_0 / Q4_0 (run by onnxruntime's MatMulNBits); absent = as stored (a GGUF's Q8_0 / Q4_0 tensors stay quantized). Embeddings, classifier and norms stay float32.",
  );

/** The `policy` option every proposer with a tree policy takes. */
export const policyOption = policySchema.optional().describe("This speculator's own tree policy; without one, the run's `policy`, else the kind's default.");
