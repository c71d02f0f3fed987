/**
 * Calibration of Sequoia's per-rank acceptance vector (src/tree/sequoia.ts):
 * decode prompts greedily while the speculator proposes one level of its
 * top-K candidates; p_r = the share of steps (with at least one candidate)
 * in which the target's token was the rank-r candidate.
 */
import type { Model } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { decodeSpeculative } from '../decode/speculative.js';
import type { References, Speculator, SpeculatorSession, StepOutcome } from '../speculators/types.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import { policyConfig, type StaticPolicyConfig } from '../tree/policies.js';
import type { GrowContext } from '../tree/policy.js';
import { GreedyVerifier } from '../verifiers/greedy.js';
import { GREEDY, type SamplingParams } from '../sampling/params.js';

/** The policy a speculator must use for calibration: one level of its top `ranks` candidates. */
export function calibrationPolicy(ranks: number): StaticPolicyConfig {
  return policyConfig('static', { expansion: [ranks], children: 'top-k' });
}

export interface CalibrationOptions {
  readonly ranks: number;
  readonly maxTokens: number;
  readonly stopTokens: readonly number[];
}

/** Tallies of a calibration run. */
interface Tally {
  steps: number;
  readonly hits: number[];
}

/**
 * The acceptance vector p_1..p_ranks of `speculator`, which must have been
 * built with calibrationPolicy(ranks), against `target` on `prompts`
 * (requests one after another, so per-run state such as a global suffix
 * tree evolves as in serving).
 */
export async function calibrateAcceptance(target: Model, speculator: Speculator, prompts: readonly Int32Array[], opts: CalibrationOptions): Promise<number[]> {
  const tally: Tally = { steps: 0, hits: Array.from({ length: opts.ranks }, () => 0) };
  const counting = new CountingSpeculator(speculator, tally);
  for (const [i, prompt] of prompts.entries()) {
    await decodeSpeculative(target, counting, new GreedyVerifier(), [{ prompt, rng: createRng(i) }], {
      maxTokens: opts.maxTokens,
      stopTokens: opts.stopTokens,
      sampling: GREEDY,
      maxNodes: opts.ranks,
    });
  }
  return tally.hits.map((h) => (tally.steps > 0 ? h / tally.steps : 0));
}

/** Wraps a speculator; its sessions record the rank of the accepted root child of every step. */
class CountingSpeculator implements Speculator {
  readonly kind: string;

  constructor(
    private readonly inner: Speculator,
    private readonly tally: Tally,
  ) {
    this.kind = inner.kind;
  }

  treeTraits(sampling: SamplingParams): TreeTraits {
    return this.inner.treeTraits(sampling);
  }

  async begin(prompt: Int32Array, references?: References): Promise<SpeculatorSession> {
    const session = await this.inner.begin(prompt, references);
    const tally = this.tally;
    return {
      propose: (ctx: GrowContext): Promise<DraftTree> => session.propose(ctx),
      observe: async (o: StepOutcome): Promise<void> => {
        const draws = o.tree.draws[0] ?? [];
        if (draws.length > 0) {
          tally.steps++;
          const rank = o.path.length > 0 ? draws.findIndex((d) => d.child === o.path[0]) : -1;
          if (rank >= 0 && rank < tally.hits.length) tally.hits[rank]++;
        }
        await session.observe(o);
      },
      end: async () => session.end?.(),
    };
  }

  async dispose(): Promise<void> {}
}
