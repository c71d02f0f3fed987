/**
 * The kind of trees a speculator config builds, known from the config alone
 * (no model loaded): what the exactness check needs, both when a run is
 * built and when a config file is validated. Mirrors each speculator's
 * treeTraits() (test/speculators/traits.test.ts checks they agree).
 */
import type { TreeTraits } from '../tree/draft-tree.js';
import { createPolicy, type PolicyConfig } from '../tree/policies.js';
import type { DrawOptions } from '../tree/policy.js';
import type { SamplingParams } from '../sampling/params.js';
import { resolvePolicy, type SpeculatorConfig } from './registry.js';

/**
 * Traits of the trees `cfg` builds under `sampling`, with `runPolicy` for
 * parts that name no policy and `draws` as the verifier asks (createPolicy).
 */
export function configTraits(cfg: SpeculatorConfig, runPolicy: PolicyConfig | undefined, sampling: SamplingParams, draws: DrawOptions = {}): TreeTraits {
  switch (cfg.kind) {
    case 'none':
      return { children: 'none', chain: true };
    case 'hybrid':
      return hybridTraits(
        cfg.parts.map((p) => configTraits(p, runPolicy, sampling, draws)),
        cfg.mode,
      );
    case 'draft-model':
    case 'gsd':
    case 'layer-skip': {
      const policy = createPolicy(resolvePolicy(cfg, runPolicy), draws);
      const models = cfg.kind === 'layer-skip' ? 1 : cfg.models.length;
      return { children: policy.childMode(sampling), chain: policy.chain && models === 1 };
    }
    default:
      // Model-free proposers: ranked candidates, always deterministic children.
      return { children: 'deterministic', chain: createPolicy(resolvePolicy(cfg, runPolicy)).chain };
  }
}

/** A hybrid's traits from its parts' (as HybridSpeculator.treeTraits combines them). */
function hybridTraits(traits: readonly TreeTraits[], mode: 'merge' | 'switch'): TreeTraits {
  const kinds = new Set(traits.map((t) => t.children).filter((c) => c !== 'none'));
  const children = kinds.size === 0 ? 'none' : kinds.size === 1 ? [...kinds][0] : 'mixed';
  const chain = traits.every((t) => t.chain) && (mode === 'switch' || traits.length === 1);
  return { children, chain };
}

/** Kinds in `cfg` (a hybrid's parts included) whose observe() needs the target's logits: they cannot be replayed from a trace. */
export function needsTargetLogits(cfg: SpeculatorConfig): string[] {
  if (cfg.kind === 'hybrid') return cfg.parts.flatMap(needsTargetLogits);
  return cfg.kind === 'recycle' ? [cfg.kind] : [];
}

/** Draft model references in `cfg` (a hybrid's parts included), in order. */
export function draftModelRefs(cfg: SpeculatorConfig): string[] {
  if (cfg.kind === 'hybrid') return cfg.parts.flatMap(draftModelRefs);
  return cfg.kind === 'draft-model' || cfg.kind === 'gsd' ? [...cfg.models] : [];
}
