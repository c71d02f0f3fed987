/**
 * Our side of `npm run bench:peer`: a run configuration as a generation
 * system (greedy tokens after a prompt), counting target forwards.
 */
import { createRng } from '../core/rng.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { buildRun, type RunSpec } from '../harness/components.js';
import { GREEDY } from '../sampling/params.js';
import type { PeerSystem } from './peer-llama.js';

/** Generated tokens and target forwards, summed over every generate() call. */
export interface StepCount {
  forwards: number;
  tokens: number;
}

/** One of our configurations as a system. */
export async function oursSystem(name: string, spec: RunSpec, steps: StepCount): Promise<PeerSystem> {
  const run = await buildRun(spec);
  return {
    name,
    async generate(prompt, maxTokens, stopTokens) {
      const { outputs, records } = await decodeSpeculative(run.target, run.speculator, run.verifier, [{ prompt, rng: createRng(0) }], {
        maxTokens,
        stopTokens,
        sampling: GREEDY,
        maxNodes: spec.maxNodes,
      });
      steps.forwards += records.length;
      steps.tokens += outputs[0].tokens.length;
      return Array.from(outputs[0].tokens);
    },
    dispose: () => run.dispose(),
  };
}

/** A greedy run spec: `target` (a model name or a .gguf path) on `threads` threads. */
export function runSpec(target: string, threads: number, speculator: RunSpec['speculator'], policy?: RunSpec['policy'], maxNodes = 64): RunSpec {
  return { target, speculator, policy, verifier: { kind: 'greedy' }, sampling: GREEDY, maxNodes, allowLossy: false, engine: { threads } };
}
