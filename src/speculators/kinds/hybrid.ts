/**
 * Several speculators: one merged tree, or one of them per step. Its parts
 * are speculator configs, so its options refer back to the union (schema.ts);
 * import it through the registry, never first.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import type { TreeTraits } from '../../tree/draft-tree.js';
import { count, defineSpeculator, type SpeculatorDefinition } from '../define.js';
import { HybridSpeculator } from '../hybrid.js';
import { speculatorDefinition, speculatorSchema, type SpeculatorConfig, type SpeculatorInput } from '../schema.js';
import type { Speculator } from '../types.js';

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

export interface HybridInput {
  kind: 'hybrid';
  mode?: 'merge' | 'switch';
  minMatch?: number;
  parts?: SpeculatorInput[];
}

const options = {
  mode: z.enum(['merge', 'switch']).default('merge').describe("'merge': one tree, prefix union of every part's; 'switch': one part per step (see minMatch)."),
  minMatch: count.default(3).describe("'switch': the first part whose match length reaches this is used (parts without one always qualify)."),
  // A getter: the schema is recursive (parts are speculators).
  get parts(): z.ZodDefault<z.ZodArray<z.ZodType<SpeculatorConfig, SpeculatorInput>>> {
    return z.array(speculatorSchema).default([]).describe('The speculators combined (at least one).');
  },
};

export const hybridSpeculator: SpeculatorDefinition<HybridConfig, HybridInput> = defineSpeculator<'hybrid', z.ZodRawShape, HybridConfig, HybridInput>({
  kind: 'hybrid',
  description: 'Several speculators: one merged tree (merge) or one of them per step (switch).',
  options,
  rules: [{ path: 'parts', message: "speculator 'hybrid' needs at least one part in `parts`", ok: (c) => c.parts.length > 0 }],
  parts: (c) => c.parts,
  traits: (c, ctx) =>
    hybridTraits(
      c.parts.map((p) => ctx.traitsOf(p)),
      c.mode,
    ),
  models: (c) => c.parts.flatMap((p) => speculatorDefinition(p.kind).models(p)),
  needsTargetLogits: (c) => c.parts.flatMap((p) => speculatorDefinition(p.kind).needsTargetLogits(p)),
  example: { parts: [{ kind: 'ngram' }, { kind: 'suffix' }] },
  create: async (c, d) => {
    if (c.parts.length === 0) throw new ConfigError("speculator 'hybrid' needs at least one part");
    const parts: Speculator[] = [];
    for (const p of c.parts) parts.push(await d.build(p));
    return new HybridSpeculator(parts, c);
  },
});

/** A hybrid's traits from its parts' (as HybridSpeculator.treeTraits combines them). */
function hybridTraits(traits: readonly TreeTraits[], mode: 'merge' | 'switch'): TreeTraits {
  const kinds = new Set(traits.map((t) => t.children).filter((c) => c !== 'none'));
  const children = kinds.size === 0 ? 'none' : kinds.size === 1 ? [...kinds][0] : 'mixed';
  const chain = traits.every((t) => t.chain) && (mode === 'switch' || traits.length === 1);
  return { children, chain };
}
