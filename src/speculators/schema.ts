/**
 * The speculator kinds as a list of definitions (one file each under
 * kinds/) and what derives from it for configs: the zod union behind the
 * TypeScript config types, config-file validation and the JSON Schema of
 * experiment files. Objects are strict: each kind takes its own options only.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { SpeculatorDefinition } from './define.js';
import { draftModelSpeculator } from './kinds/draft-model.js';
import { gsdSpeculator } from './kinds/gsd.js';
import { hybridSpeculator, type HybridConfig, type HybridInput } from './kinds/hybrid.js';
import { layerSkipSpeculator } from './kinds/layer-skip.js';
import { ngramSpeculator } from './kinds/ngram.js';
import { noneSpeculator } from './kinds/none.js';
import { recycleSpeculator } from './kinds/recycle.js';
import { retrievalSpeculator } from './kinds/retrieval.js';
import { suffixSpeculator } from './kinds/suffix.js';

export { modelRef, weightsSchema } from './define.js';
export type { HybridConfig } from './kinds/hybrid.js';

/** The built-in kinds, in the order listed everywhere (docs, errors, the conformance suite). */
const LEAVES = [
  noneSpeculator,
  draftModelSpeculator,
  gsdSpeculator,
  layerSkipSpeculator,
  ngramSpeculator,
  suffixSpeculator,
  retrievalSpeculator,
  recycleSpeculator,
] as const;
const BUILT_IN = [...LEAVES, hybridSpeculator] as const;

type Leaf = (typeof LEAVES)[number];
type OutputOf<D> = D extends SpeculatorDefinition<infer C, infer _I> ? C : never;
type InputOf<D> = D extends SpeculatorDefinition<infer _C, infer I> ? I : never;

export type SpeculatorConfig = OutputOf<Leaf> | HybridConfig;
export type SpeculatorInput = InputOf<Leaf> | HybridInput;
export type SpeculatorKind = SpeculatorConfig['kind'];
export type SpeculatorConfigOf<K extends SpeculatorKind> = Extract<SpeculatorConfig, { kind: K }>;

export type NoneConfig = SpeculatorConfigOf<'none'>;
export type DraftModelConfig = SpeculatorConfigOf<'draft-model'>;
export type GsdConfig = SpeculatorConfigOf<'gsd'>;
export type LayerSkipConfig = SpeculatorConfigOf<'layer-skip'>;
export type NgramConfig = SpeculatorConfigOf<'ngram'>;
export type SuffixConfig = SpeculatorConfigOf<'suffix'>;
export type RetrievalConfig = SpeculatorConfigOf<'retrieval'>;
export type RecycleConfig = SpeculatorConfigOf<'recycle'>;

/** Every definition, built-in first. */
export const SPECULATOR_DEFINITIONS: readonly SpeculatorDefinition[] = BUILT_IN;

export const SPECULATOR_KINDS: readonly SpeculatorKind[] = BUILT_IN.map((d) => d.kind);

export function isSpeculatorKind(kind: string): kind is SpeculatorKind {
  return (SPECULATOR_KINDS as readonly string[]).includes(kind);
}

/** The definition of `kind`; a ConfigError listing the kinds when there is none. */
export function speculatorDefinition(kind: string): SpeculatorDefinition {
  const def = SPECULATOR_DEFINITIONS.find((d) => d.kind === kind);
  if (def === undefined) throw new ConfigError(`unknown speculator '${kind}'; expected one of ${SPECULATOR_KINDS.join(', ')}`);
  return def;
}

type Option = z.core.$ZodTypeDiscriminable;

/** Any speculator, selected by `kind`. */
export const speculatorSchema: z.ZodType<SpeculatorConfig, SpeculatorInput> = z
  .discriminatedUnion('kind', BUILT_IN.map((d) => d.schema) as unknown as [Option, ...Option[]])
  .meta({ id: 'Speculator', description: 'A speculator: proposes candidate tokens (selected by kind).' }) as z.ZodType<SpeculatorConfig, SpeculatorInput>;
