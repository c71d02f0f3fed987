/**
 * The speculator kinds as a list of definitions (one file each under
 * kinds/) and what derives from it for configs: the zod union behind the
 * TypeScript config types, config-file validation and the JSON Schema of
 * experiment files. Objects are strict: each kind takes its own options only.
 */
import { KindRegistry, kindUnion } from '../core/kinds.js';
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

/** The built-in kinds, in the order listed everywhere (docs, errors, the conformance suite). */
const LEAVES = [noneSpeculator, draftModelSpeculator, gsdSpeculator, layerSkipSpeculator, ngramSpeculator, suffixSpeculator, retrievalSpeculator, recycleSpeculator] as const;
const BUILT_IN = [...LEAVES, hybridSpeculator] as const;

type Leaf = (typeof LEAVES)[number];
type OutputOf<D> = D extends SpeculatorDefinition<infer C, infer _I> ? C : never;
type InputOf<D> = D extends SpeculatorDefinition<infer _C, infer I> ? I : never;

export type SpeculatorConfig = OutputOf<Leaf> | HybridConfig;
export type SpeculatorInput = InputOf<Leaf> | HybridInput;
export type SpeculatorKind = SpeculatorConfig['kind'];
export type SpeculatorConfigOf<K extends SpeculatorKind> = Extract<SpeculatorConfig, { kind: K }>;

/** Every definition: the built-in ones, then those registered (registerSpeculator), in order. */
const registry = new KindRegistry<SpeculatorDefinition>('speculator', BUILT_IN);

export const SPECULATOR_DEFINITIONS: readonly SpeculatorDefinition[] = registry.definitions;

/** Every kind, built-in first (registered kinds are appended; their configs are outside the SpeculatorConfig type). */
export const SPECULATOR_KINDS = registry.kinds as readonly SpeculatorKind[];

/** The definition of `kind`; a ConfigError listing the kinds when there is none. */
export function speculatorDefinition(kind: string): SpeculatorDefinition {
  return registry.get(kind);
}

/**
 * Adds a speculator kind (a plugin's definition): run building, traits,
 * defaults, the docs table, `generate`'s flags, the conformance suite,
 * config files and `--set` see it from now on (speculatorSchema resolves the
 * registry at every parse). Registering a known kind again is an error
 * unless it is the same definition. Returns a function that removes it
 * again (for tests).
 */
export function registerSpeculator<C extends { readonly kind: string }, I>(def: SpeculatorDefinition<C, I>): () => void {
  return registry.register(def as unknown as SpeculatorDefinition);
}

/** Whether `kind` is one of the kinds defined in src/ (a plugin may not redefine them). */
export function isBuiltInSpeculator(kind: string): boolean {
  return registry.isBuiltIn(kind);
}

/** Any speculator, selected by `kind` (registered kinds included, whenever they were registered). */
export const speculatorSchema = kindUnion<SpeculatorConfig, SpeculatorInput>(registry, {
  id: 'Speculator',
  description: 'A speculator: proposes candidate tokens (selected by kind).',
});
