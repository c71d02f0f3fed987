/**
 * The statistical tests of docs/design.md#verification: over many seeded trials on a small
 * synthetic vocabulary, the first emitted token and the first two emitted
 * tokens of speculative decoding follow the target's distribution exactly
 * (chi-square, pass iff p > 0.001) for every stochastic verifier declared
 * exact, on trees built the way speculators build them. Power checks: the
 * same test rejects deliberately wrong verification (p < 1e-6).
 */
import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';
import { createVerifier } from '../../src/verifiers/index.js';
import { treeTraits } from '../../src/verifiers/traits.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import type { Verifier } from '../../src/verifiers/types.js';
import { describeChi } from '../support/stats.js';
import { buildTree, makeWorld, type DecodeSetup, type ProposerSpec } from './synthetic.js';
import { report, runTrials, type Outcome } from './trials.js';
import { NoResidualMss, mergeDuplicateDraws } from './wrong.js';

const VOCAB = 6;
const ROOT = 0;
const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
const TRANSFORMED: SamplingParams = { temperature: 0.8, topK: 5, topP: 0.95 };
// Draft 0 is close to the target, draft 1 is poor, draft 2 is peaky and poor (many duplicate draws).
const WORLD = makeWorld(2024, VOCAB, 1.2, [0.6, 1.6, 1.4], [1, 1, 2.5]);

const sampled = (draft: number, ...widths: number[]): ProposerSpec => ({ draft, mode: 'sampled', widths });
const topk = (draft: number, ...widths: number[]): ProposerSpec => ({ draft, mode: 'topk', widths });

/** Runs `trials` two-token decodes and tests both distributions against the exact target. */
function run(d: DecodeSetup, trials: number, seed: number): Outcome {
  return runTrials(d, ROOT, trials, seed);
}

function setup(verifier: Verifier, specs: ProposerSpec[], sampling = T1, rewrite?: (t: DraftTree) => DraftTree): DecodeSetup {
  return { world: WORLD, specs, sampling, verifier, rewrite };
}

interface Case {
  readonly name: string;
  readonly verifier: 'mss' | 'ns' | 'sequence';
  readonly specs: ProposerSpec[];
  readonly sampling?: SamplingParams;
}

const EXACT_CASES: Case[] = [
  { name: 'mss, one sampled draft <3,2>', verifier: 'mss', specs: [sampled(0, 3, 2)] },
  { name: 'mss, peaky sampled draft <4,3> (many duplicate draws)', verifier: 'mss', specs: [sampled(2, 4, 3)] },
  { name: 'mss, deterministic top-k <2,2,1> (point masses)', verifier: 'mss', specs: [topk(1, 2, 2, 1)] },
  { name: 'mss, 3 drafts merged: sampled <2,2>, sampled <3,1>, top-k <2,1>', verifier: 'mss', specs: [sampled(0, 2, 2), sampled(2, 3, 1), topk(1, 2, 1)] },
  { name: 'mss, 2 top-k drafts merged (duplicates across proposers)', verifier: 'mss', specs: [topk(0, 2, 1), topk(1, 2, 2)] },
  { name: 'mss, merged, temperature 0.8 top-k 5 top-p 0.95', verifier: 'mss', specs: [sampled(0, 2, 2), sampled(2, 3, 1), topk(1, 1, 1)], sampling: TRANSFORMED },
  { name: 'ns, 3 drafts merged', verifier: 'ns', specs: [sampled(0, 2, 2), sampled(2, 3, 1), topk(1, 2, 1)] },
  { name: 'ns, merged, temperature 0.8 top-k 5 top-p 0.95', verifier: 'ns', specs: [sampled(0, 2, 2), topk(1, 1, 1)], sampling: TRANSFORMED },
  { name: 'sequence, sampled chain of 3 (close draft)', verifier: 'sequence', specs: [sampled(0, 1, 1, 1)] },
  { name: 'sequence, sampled chain of 3 (poor peaky draft)', verifier: 'sequence', specs: [sampled(2, 1, 1, 1)] },
  { name: 'sequence, deterministic top-1 chain of 3', verifier: 'sequence', specs: [topk(1, 1, 1, 1)] },
  { name: 'sequence, sampled chain, temperature 0.8 top-k 5 top-p 0.95', verifier: 'sequence', specs: [sampled(0, 1, 1)], sampling: TRANSFORMED },
];

describe('verifiers: emitted tokens follow the target distribution (chi-square, 30,000 trials each)', () => {
  EXACT_CASES.forEach((c, i) => {
    it(c.name, () => {
      const verifier = createVerifier(c.verifier);
      const sampling = c.sampling ?? T1;
      const d = setup(verifier, c.specs, sampling);
      const traits = treeTraits(buildTree(WORLD, ROOT, c.specs, sampling, createRng(i)));
      expect(verifier.exactFor(traits, sampling), 'declared exact').to.equal(true);
      const t0 = performance.now();
      const o = run(d, 30000, 100 + i);
      report(c.name, o, performance.now() - t0);
      expect(o.first.pValue, `first token: ${describeChi(o.first)}`).to.be.above(0.001);
      expect(o.two.pValue, `first two tokens: ${describeChi(o.two)}`).to.be.above(0.001);
    });
  });
});

describe('verifiers: the chi-square test has power (wrong verification fails, p < 1e-6)', () => {
  const mss = createVerifier('mss');

  function expectCaught(name: string, d: DecodeSetup, seed: number): void {
    const t0 = performance.now();
    const o = run(d, 30000, seed);
    report(name, o, performance.now() - t0);
    expect(Math.min(o.first.pValue, o.two.pValue), `${describeChi(o.first)}; ${describeChi(o.two)}`).to.be.below(1e-6);
  }

  it('MSS without the residual update', () => {
    expectCaught('no residual', setup(new NoResidualMss(), [sampled(1, 3, 2)]), 7001);
  });

  it('MSS over the set of draws instead of the multiset (duplicate draws tested once)', () => {
    expectCaught('duplicates as one draw', setup(mss, [sampled(2, 4, 3)], T1, mergeDuplicateDraws), 7002);
  });

  it("MSS with the draft's q declared for deterministic top-k children (the paper's lossy usage)", () => {
    expectCaught('top-k declared with q', setup(mss, [{ draft: 1, mode: 'topk-lossy', widths: [2, 2] }]), 7003);
  });
});
