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

/** One of our configurations as a system that also tells how long its decoding steps took. */
export interface OursSystem extends PeerSystem {
  /**
   * Greedy tokens after `prompt` and the milliseconds of the decoding steps
   * that produced them: the prompt's prefill excluded, the window
   * llama-bench and llama-speculative-simple time as decoding.
   */
  decode(prompt: Int32Array, maxTokens: number, stopTokens: readonly number[]): Promise<{ readonly tokens: number[]; readonly decodeMs: number }>;
}

/** One of our configurations as a system. */
export async function oursSystem(name: string, spec: RunSpec, steps: StepCount): Promise<OursSystem> {
  const run = await buildRun(spec);
  const decode: OursSystem['decode'] = async (prompt, maxTokens, stopTokens) => {
    const { outputs, records, decodeMs } = await decodeSpeculative(run.target, run.speculator, run.verifier, [{ prompt, rng: createRng(0) }], {
      maxTokens,
      stopTokens,
      sampling: GREEDY,
      maxNodes: spec.maxNodes,
    });
    steps.forwards += records.length;
    steps.tokens += outputs[0].tokens.length;
    return { tokens: Array.from(outputs[0].tokens), decodeMs };
  };
  return { name, decode, generate: async (prompt, maxTokens, stopTokens) => (await decode(prompt, maxTokens, stopTokens)).tokens, dispose: () => run.dispose() };
}

/** A greedy run spec: `target` (a model name or a .gguf path) on `threads` threads. */
export function runSpec(target: string, threads: number, speculator: RunSpec['speculator'], policy?: RunSpec['policy'], maxNodes = 64): RunSpec {
  return { target, speculator, policy, verifier: { kind: 'greedy' }, sampling: GREEDY, maxNodes, allowLossy: false, engine: { threads } };
}
