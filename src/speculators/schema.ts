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

/** Every definition: the built-in ones, then those registered (registerSpeculator), in order. */
const definitions: SpeculatorDefinition[] = [...BUILT_IN];
const kinds: string[] = BUILT_IN.map((d) => d.kind);

export const SPECULATOR_DEFINITIONS: readonly SpeculatorDefinition[] = definitions;

/** Every kind, built-in first (registered kinds are appended; their configs are outside the SpeculatorConfig type). */
export const SPECULATOR_KINDS = kinds as readonly SpeculatorKind[];

/** The definition of `kind`; a ConfigError listing the kinds when there is none. */
export function speculatorDefinition(kind: string): SpeculatorDefinition {
  const def = definitions.find((d) => d.kind === kind);
  if (def === undefined) throw new ConfigError(`unknown speculator '${kind}'; expected one of ${kinds.join(', ')}`);
  return def;
}

/**
 * Adds a speculator kind (a plugin's definition): run building, traits,
 * defaults, the docs table, the conformance suite, config files and `--set`
 * see it from now on (speculatorSchema resolves the registry at every parse).
 * Registering a known kind again is an error unless it is the same definition.
 * Returns a function that removes it again (for tests).
 */
export function registerSpeculator<C extends { readonly kind: string }, I>(def: SpeculatorDefinition<C, I>): () => void {
  const known = definitions.find((d) => d.kind === def.kind);
  const remove = () => {
    const i = definitions.indexOf(def as unknown as SpeculatorDefinition);
    if (i < BUILT_IN.length) return;
    definitions.splice(i, 1);
    kinds.splice(i, 1);
    union = undefined;
  };
  if (known === (def as unknown)) return remove;
  if (known !== undefined) throw new ConfigError(`speculator '${def.kind}' is already defined`);
  definitions.push(def as unknown as SpeculatorDefinition);
  kinds.push(def.kind);
  union = undefined;
  return remove;
}

/** Whether `kind` is one of the kinds defined in src/ (a plugin may not redefine them). */
export function isBuiltInSpeculator(kind: string): boolean {
  return BUILT_IN.some((d) => d.kind === kind);
}

type Option = z.core.$ZodTypeDiscriminable;
type Union = z.ZodType<SpeculatorConfig, SpeculatorInput>;

/** The union of the current definitions' schemas; undefined after the registry changed (rebuilt at the next use). */
let union: Union | undefined;

function currentUnion(): Union {
  return (union ??= z.discriminatedUnion('kind', definitions.map((d) => d.schema) as unknown as [Option, ...Option[]]) as Union);
}

/**
 * A lazy schema resolved at every use. z.lazy keeps the first result of its
 * getter on each instance (`_zod.innerType`); here that property reads the
 * getter each time, so parsing, error reports (issues.ts) and the JSON Schema
 * see definitions registered after the first parse. Clones (`.describe()`,
 * `.meta()`) are plain z.lazy again: wrap the final instance.
 */
function resolvedAtEachUse<T extends z.ZodLazy>(schema: T): T {
  Object.defineProperty(schema._zod, 'innerType', { get: () => schema._zod.def.getter(), configurable: true });
  return schema;
}

/** Any speculator, selected by `kind` (registered kinds included, whenever they were registered). */
export const speculatorSchema: Union = resolvedAtEachUse(
  z.lazy(currentUnion).meta({ id: 'Speculator', description: 'A speculator: proposes candidate tokens (selected by kind).' }),
);
