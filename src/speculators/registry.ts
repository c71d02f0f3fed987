/**
 * Speculators by kind, from their definitions (schema.ts lists them; one
 * file each under kinds/): defaults, default tree policies and factories.
 * A factory gets only its own options plus deps.
 */
import { ConfigError } from '../core/errors.js';
import type { PolicyConfig } from '../tree/policies.js';
import type { SpeculatorDeps } from './define.js';
import { SPECULATOR_DEFINITIONS, speculatorDefinition, type SpeculatorConfig, type SpeculatorConfigOf, type SpeculatorKind } from './schema.js';
import type { Speculator } from './types.js';

export { defineSpeculator, type SpeculatorDefinition, type SpeculatorDeps, type TraitsContext } from './define.js';
export {
  isBuiltInSpeculator,
  modelRef,
  registerSpeculator,
  SPECULATOR_DEFINITIONS,
  SPECULATOR_KINDS,
  speculatorDefinition,
  speculatorSchema,
  weightsSchema,
  type SpeculatorConfig,
  type SpeculatorConfigOf,
  type SpeculatorKind,
} from './schema.js';

/** Defaults of every option, per kind: each definition's defaults (`models` and `parts` must then be given). */
export const SPECULATOR_DEFAULTS = Object.freeze(Object.fromEntries(SPECULATOR_DEFINITIONS.map((d) => [d.kind, d.defaults()]))) as {
  readonly [K in SpeculatorKind]: SpeculatorConfigOf<K>;
};

/** Each kind's tree policy when neither it nor the run names one. */
export function defaultPolicy(cfg: SpeculatorConfig): PolicyConfig {
  return speculatorDefinition(cfg.kind).defaultPolicy(cfg);
}

/** A full config of `kind`: its defaults overridden by the given fields. */
export function speculatorConfig<K extends SpeculatorKind>(kind: K, fields: Partial<Omit<SpeculatorConfigOf<K>, 'kind'>> = {}): SpeculatorConfigOf<K> {
  const defaults = speculatorDefinition(kind).defaults();
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return { ...defaults, ...defined, kind } as SpeculatorConfigOf<K>;
}

/** A speculator from its config; option errors become ConfigErrors naming the kind. */
export async function createSpeculator(cfg: SpeculatorConfig, deps: SpeculatorDeps): Promise<Speculator> {
  const def = speculatorDefinition(cfg.kind);
  try {
    return await def.create(cfg, deps);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError(`speculator '${cfg.kind}': ${e.message}`);
    throw e;
  }
}

/** The policy config a speculator uses: its own, else the run's, else its kind's default. */
export function resolvePolicy(cfg: SpeculatorConfig, runPolicy: PolicyConfig | undefined): PolicyConfig {
  return ('policy' in cfg ? cfg.policy : undefined) ?? runPolicy ?? defaultPolicy(cfg);
}

/** The speculator configs `cfg` composes (a hybrid's parts), in order; empty for a leaf. */
export function speculatorParts(cfg: SpeculatorConfig): readonly SpeculatorConfig[] {
  return speculatorDefinition(cfg.kind).parts(cfg) as readonly SpeculatorConfig[];
}

/** A speculator config with its tree policy resolved, and its parts likewise. */
export interface ResolvedSpeculator {
  readonly config: SpeculatorConfig;
  /** The policy config it is built with: its own, else the run's, else its kind's default. */
  readonly policy: PolicyConfig;
  /** Whether that policy is its kind's default (neither its own nor the run's was given). */
  readonly policyIsDefault: boolean;
  /** Whether that policy shapes its trees (false for none and composites, whose parts' policies do). */
  readonly usesPolicy: boolean;
  readonly parts: readonly ResolvedSpeculator[];
}

/** `cfg` and its parts with their policies resolved against the run's `runPolicy` (once: building reads the result). */
export function resolveSpeculator(cfg: SpeculatorConfig, runPolicy: PolicyConfig | undefined): ResolvedSpeculator {
  return {
    config: cfg,
    policy: resolvePolicy(cfg, runPolicy),
    policyIsDefault: ('policy' in cfg ? cfg.policy : undefined) === undefined && runPolicy === undefined,
    usesPolicy: speculatorDefinition(cfg.kind).usesPolicy,
    parts: speculatorParts(cfg).map((p) => resolveSpeculator(p, runPolicy)),
  };
}

/** Every node of a resolved speculator, `r` first, then its parts' depth-first. */
export function resolvedNodes(r: ResolvedSpeculator): ResolvedSpeculator[] {
  return [r, ...r.parts.flatMap(resolvedNodes)];
}
