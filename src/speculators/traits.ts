/**
 * The kind of trees a speculator config builds, known from the config alone
 * (no model loaded): what the exactness check needs, both when a run is
 * built and when a config file is validated. Each definition's traits()
 * mirrors its speculator's treeTraits() (test/speculators/traits.test.ts
 * checks they agree).
 */
import type { TreeTraits } from '../tree/draft-tree.js';
import { createPolicy, type PolicyConfig } from '../tree/policies.js';
import type { DrawOptions, TreePolicy } from '../tree/policy.js';
import type { SamplingParams } from '../sampling/params.js';
import type { TraitsContext } from './define.js';
import { resolvePolicy, speculatorDefinition, type SpeculatorConfig } from './registry.js';

/**
 * Traits of the trees `cfg` builds under `sampling`, with `runPolicy` for
 * parts that name no policy and `draws` as the verifier asks (createPolicy).
 */
export function configTraits(cfg: SpeculatorConfig, runPolicy: PolicyConfig | undefined, sampling: SamplingParams, draws: DrawOptions = {}): TreeTraits {
  return traitsWith(cfg, sampling, (c) => createPolicy(resolvePolicy(c, runPolicy), draws));
}

/** Traits of the trees `cfg` builds under `sampling`, each config (parts included) using the built policy `policyOf` gives it. */
export function traitsWith(cfg: SpeculatorConfig, sampling: SamplingParams, policyOf: (c: SpeculatorConfig) => TreePolicy): TreeTraits {
  const ctx: TraitsContext = {
    sampling,
    policy: () => policyOf(cfg),
    traitsOf: (c) => traitsWith(c, sampling, policyOf),
  };
  return speculatorDefinition(cfg.kind).traits(cfg, ctx);
}

/** Kinds in `cfg` (a hybrid's parts included) whose observe() needs the target's logits: they cannot be replayed from a trace. */
export function needsTargetLogits(cfg: SpeculatorConfig): string[] {
  return [...speculatorDefinition(cfg.kind).needsTargetLogits(cfg)];
}

/** Draft model references in `cfg` (a hybrid's parts included), in order. */
export function draftModelRefs(cfg: SpeculatorConfig): string[] {
  return [...speculatorDefinition(cfg.kind).models(cfg)];
}
