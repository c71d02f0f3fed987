/**
 * The conformance check over speculator definitions (what
 * test/conformance/registry.test.ts runs for every registered kind, and
 * test/plugins/yaml.test.ts for a plugin's): each definition's example
 * config with its default policy and the greedy verifier (the fast tier),
 * with every tree policy x every verifier exact at T=0 (the full tier);
 * greedy speculative decoding must equal greedy incremental decoding.
 */
import { expect } from 'chai';
import { buildRun, checkRunSpec, type ModelProvider, type RunSpec } from '../../src/harness/components.js';
import type { SpeculatorConfig, SpeculatorDefinition } from '../../src/speculators/registry.js';
import { POLICY_KINDS, policyConfig, type PolicyConfig } from '../../src/tree/policies.js';
import { GREEDY, VERIFIER_KINDS, type VerifierKind } from '../../src/verifiers/index.js';
import { decodeGreedy, firstDivergence } from './conformance.js';
import { FULL_TIER } from './tier.js';

export interface ConformanceCase {
  readonly speculator: SpeculatorConfig;
  readonly policy?: PolicyConfig;
  readonly verifier: VerifierKind;
}

function spec(c: ConformanceCase): RunSpec {
  return { target: 'stories260K', speculator: c.speculator, policy: c.policy, verifier: { kind: c.verifier }, sampling: GREEDY, maxNodes: 64, allowLossy: false, engine: {} };
}

/** Whether the run checks pass (a verifier that is not exact for the kind's trees at T=0 is left out). */
function runnable(c: ConformanceCase): boolean {
  try {
    checkRunSpec(spec(c));
    return true;
  } catch {
    return false;
  }
}

/** The cases of `definitions`, in their order. */
export function conformanceCases(definitions: readonly SpeculatorDefinition[]): ConformanceCase[] {
  const policies: (PolicyConfig | undefined)[] = FULL_TIER ? [undefined, ...POLICY_KINDS.map((k) => policyConfig(k))] : [undefined];
  const verifiers: readonly VerifierKind[] = FULL_TIER ? VERIFIER_KINDS : ['greedy'];
  const out: ConformanceCase[] = [];
  for (const def of definitions)
    for (const policy of def.kind === 'none' ? [undefined] : policies) for (const verifier of verifiers) out.push({ speculator: def.example(), policy, verifier });
  return out.filter(runnable);
}

export function caseTitle(c: ConformanceCase): string {
  return `${c.speculator.kind}, policy ${c.policy?.kind ?? 'its default'}, verifier ${c.verifier}`;
}

/** Runs one case on stories260K: each prompt's output must equal `expected` (incremental decoding's). */
export async function checkConformance(c: ConformanceCase, prompts: readonly Int32Array[], expected: readonly Int32Array[], models?: ModelProvider): Promise<void> {
  const run = await buildRun(spec(c), models);
  const { outputs } = await decodeGreedy(run.target, run.speculator, prompts, 1, 64, c.verifier);
  await run.dispose();
  outputs.forEach((o, i) => expect(firstDivergence(o, expected[i]), `${caseTitle(c)}: prompt ${i}`).to.equal(null));
}
