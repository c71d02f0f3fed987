/**
 * The conformance check over speculator definitions (what
 * test/conformance/registry.test.ts runs for every registered kind, and
 * test/plugins/yaml.test.ts for a plugin's): each definition's example
 * config with its default policy and the greedy verifier (the fast tier),
 * with every tree policy x every verifier exact at T=0 (the full tier);
 * and over tree policy and verifier definitions: the draft-model example
 * under each policy, and under each verifier. Greedy speculative decoding
 * must equal greedy incremental decoding.
 */
import { expect } from 'chai';
import { buildRun, checkRunSpec, type ModelProvider, type RunSpec } from '../../src/harness/components.js';
import { speculatorDefinition, type SpeculatorConfig, type SpeculatorDefinition } from '../../src/speculators/registry.js';
import { POLICY_DEFINITIONS, type PolicyConfig } from '../../src/tree/policies.js';
import { GREEDY, VERIFIER_DEFINITIONS, type VerifierKind } from '../../src/verifiers/index.js';
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

/** No policy (each speculator's default), then every registered policy at its defaults. */
function everyPolicy(): (PolicyConfig | undefined)[] {
  return [undefined, ...POLICY_DEFINITIONS.map((d) => d.defaults() as PolicyConfig)];
}

/** Every registered verifier kind. */
function everyVerifier(): VerifierKind[] {
  return VERIFIER_DEFINITIONS.map((d) => d.kind as VerifierKind);
}

/** The cases of `definitions`, in their order. */
export function conformanceCases(definitions: readonly SpeculatorDefinition[]): ConformanceCase[] {
  const policies = FULL_TIER ? everyPolicy() : [undefined];
  const verifiers: readonly VerifierKind[] = FULL_TIER ? everyVerifier() : ['greedy'];
  const out: ConformanceCase[] = [];
  for (const def of definitions)
    for (const policy of def.usesPolicy || def.composite ? policies : [undefined]) for (const verifier of verifiers) out.push({ speculator: def.example(), policy, verifier });
  return out.filter(runnable);
}

/**
 * The cases of every registered tree policy and verifier: the draft-model
 * example under each policy (greedy verifier), and under each verifier with
 * the first policy it is exact for at T=0 (its default, else the first listed).
 */
export function policyAndVerifierCases(): ConformanceCase[] {
  const speculator = speculatorDefinition('draft-model').example();
  const out: ConformanceCase[] = everyPolicy().flatMap((policy) => (policy === undefined ? [] : [{ speculator, policy, verifier: 'greedy' as const }]));
  for (const verifier of everyVerifier()) {
    const exact = everyPolicy()
      .map((policy) => ({ speculator, policy, verifier }))
      .find(runnable);
    if (exact) out.push(exact);
  }
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
