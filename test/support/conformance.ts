import { createRng } from '../../src/core/rng.js';
import type { Model } from '../../src/core/model.js';
import { generateIncremental } from '../../src/decode/incremental.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import type { StepRecord } from '../../src/decode/records.js';
import type { Speculator } from '../../src/speculators/types.js';
import { createVerifier, GREEDY, type VerifierKind } from '../../src/verifiers/index.js';

import { FULL_TIER } from './tier.js';

/** New tokens per prompt: 128 in the full tier, 48 in the fast one (every combination still runs). */
export const NEW_TOKENS = FULL_TIER ? 128 : 48;
export const STOP = [1, 2];

/** Index and tokens of the first difference, for a readable failure. */
export function firstDivergence(got: Int32Array, want: Int32Array): string | null {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) if (got[i] !== want[i]) return `first diverging position ${i}: speculative ${got[i]} vs incremental ${want[i]}`;
  return null;
}

/** Greedy speculative decoding of `prompts` in batches of `batchSize`; outputs in prompt order and all records. */
export async function decodeGreedy(
  target: Model,
  speculator: Speculator,
  prompts: readonly Int32Array[],
  batchSize: number,
  maxNodes = 64,
  verifier: VerifierKind = 'greedy',
): Promise<{ outputs: Int32Array[]; records: StepRecord[] }> {
  const outputs: Int32Array[] = [];
  const records: StepRecord[] = [];
  for (let start = 0; start < prompts.length; start += batchSize) {
    const batch = prompts.slice(start, start + batchSize).map((prompt, i) => ({ prompt, rng: createRng(start + i) }));
    const r = await decodeSpeculative(target, speculator, createVerifier(verifier), batch, { maxTokens: NEW_TOKENS, stopTokens: STOP, sampling: GREEDY, maxNodes });
    outputs.push(...r.outputs.map((o) => o.tokens));
    // Steps of separate calls are separate forwards: keep their step numbers apart.
    records.push(...r.records.map((rec) => ({ ...rec, step: rec.step + start * 10_000 })));
  }
  return { outputs, records };
}

/** The oracle: plain incremental greedy decoding of each prompt. */
export async function incrementalOutputs(target: Model, prompts: readonly Int32Array[]): Promise<Int32Array[]> {
  const out: Int32Array[] = [];
  for (const p of prompts) out.push((await generateIncremental(target, p, { maxTokens: NEW_TOKENS, stopTokens: STOP })).tokens);
  return out;
}
