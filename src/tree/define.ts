/**
 * A tree policy kind as one definition: its options (a zod shape with
 * defaults and descriptions) and its factory. The registry (policies.ts) is
 * the list of definitions; the config schema, defaults, docs table,
 * `generate`'s flags and the conformance suite derive from it.
 */
import { z } from 'zod';
import { optionsDefinition, type ConfigOf, type InputOf, type OptionsDefinition } from '../core/kinds.js';
import type { DrawOptions, TreePolicy } from './policy.js';

/** One tree policy kind, complete. */
export interface PolicyDefinition<C extends { readonly kind: string } = { readonly kind: string }, I = unknown> extends OptionsDefinition<'policy', C, I> {
  /** Builds it with the run's draw options (the verifier's needs); a RangeError for bad options. */
  create(cfg: C, draws: DrawOptions): TreePolicy;
}

/** What a definition gives. */
export interface PolicySpec<K extends string, S extends z.ZodRawShape, C> {
  readonly kind: K;
  readonly description: string;
  /** The options as a zod shape (`{ name: schema.default(..).describe(..) }`). */
  readonly options: S;
  create(cfg: C, draws: DrawOptions): TreePolicy;
}

/** A tree policy definition from its spec: the config schema is `kind` plus the options, strict. */
export function definePolicy<K extends string, S extends z.ZodRawShape, C extends { readonly kind: string } = ConfigOf<K, S> & { readonly kind: K }, I = InputOf<K, S>>(
  spec: PolicySpec<K, S, C>,
): PolicyDefinition<C, I> {
  const schema = z.strictObject({ kind: z.literal(spec.kind), ...spec.options });
  return Object.freeze({ ...optionsDefinition<'policy', C, I>('policy', spec, schema, schema), create: (cfg: C, draws: DrawOptions) => spec.create(cfg, draws) });
}

export const positiveInt = z.number().int().min(1);
export const probability = z.number().min(0).max(1);

/** The `children` option of the policies that may sample children from draft logits. */
export const childrenOption = z
  .enum(['auto', 'sample', 'top-k'])
  .default('auto')
  .describe(
    "How children are taken from draft logits: 'auto' samples when temperature > 0 and takes the top-k when greedy; 'sample' always draws them from q; 'top-k' always takes the most probable.",
  );
