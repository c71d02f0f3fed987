/**
 * RSD's statistical proof: over many seeded trials on a small synthetic
 * vocabulary, the first emitted token and the first two emitted tokens
 * follow the target's distribution exactly (chi-square, pass iff
 * p > 0.001) for trees of several shapes whose siblings are drawn without
 * replacement (Gumbel-top-k), at several temperatures. Power checks: the
 * same test rejects wrong RSD (p < 1e-6): q not renormalized after a
 * rejection, siblings tested in rank order instead of draw order, pruned
 * draws not recorded. (Siblings sampled with replacement and deduplicated
 * in first-occurrence order are NOT wrong: that is a without-replacement
 * prefix; the exact cases include it.)
 */
import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';
import { createVerifier } from '../../src/verifiers/index.js';
import { treeTraits } from '../../src/verifiers/traits.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import { describeChi } from '../support/stats.js';
import { buildTree, makeWorld, type DecodeSetup, type ProposerSpec } from './synthetic.js';
import { report, runTrials } from './trials.js';
import { forgetUnkeptDraws, recordsByProbability, unrenormalizedRecords } from './wrong.js';

const ROOT = 0;
const TRIALS = 30000;
// Draft 0 is close to the target, draft 1 is poor, draft 2 is peaky and poor.
const WORLD = makeWorld(2024, 6, 1.2, [0.6, 1.6, 1.4], [1, 1, 2.5]);
const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
const T06: SamplingParams = { temperature: 0.6, topK: 0, topP: 1 };
const T15: SamplingParams = { temperature: 1.5, topK: 0, topP: 1 };
const TRANSFORMED: SamplingParams = { temperature: 0.8, topK: 5, topP: 0.95 };

const distinct = (draft: number, ...widths: number[]): ProposerSpec => ({ draft, mode: 'distinct', widths });
const pruned = (draft: number, ...widths: number[]): ProposerSpec => ({ draft, mode: 'distinct-pruned', widths });
const topk = (draft: number, ...widths: number[]): ProposerSpec => ({ draft, mode: 'topk', widths });

const rsd = createVerifier('rsd');

function setup(specs: ProposerSpec[], sampling: SamplingParams, rewrite?: (t: DraftTree) => DraftTree): DecodeSetup {
  return { world: WORLD, specs, sampling, verifier: rsd, rewrite };
}

const EXACT_CASES: { name: string; specs: ProposerSpec[]; sampling: SamplingParams }[] = [
  { name: 'two children <2> (T=1)', specs: [distinct(1, 2)], sampling: T1 },
  { name: '<3,2> from the close draft (T=1)', specs: [distinct(0, 3, 2)], sampling: T1 },
  { name: '<1,4,1> from the peaky draft (T=1)', specs: [distinct(2, 1, 4, 1)], sampling: T1 },
  { name: '<6,1>: every token drawn (T=1)', specs: [distinct(1, 6, 1)], sampling: T1 },
  { name: '<3,2> (T=0.6)', specs: [distinct(1, 3, 2)], sampling: T06 },
  { name: '<2,2,2> (T=1.5)', specs: [distinct(2, 2, 2, 2)], sampling: T15 },
  { name: '<3,2>, temperature 0.8 top-k 5 top-p 0.95', specs: [distinct(1, 3, 2)], sampling: TRANSFORMED },
  { name: '<4,2> with a value-dependent cut (pruned draws recorded)', specs: [pruned(2, 4, 2)], sampling: T1 },
  { name: '2 drafts merged, without replacement each: <3,1> + <2,2>', specs: [distinct(0, 3, 1), distinct(2, 2, 2)], sampling: T1 },
  { name: 'without replacement merged with top-k point masses', specs: [distinct(1, 3, 1), topk(0, 2, 1)], sampling: T1 },
  { name: 'i.i.d. draws deduplicated in first-occurrence order <4,3> (peaky draft)', specs: [{ draft: 2, mode: 'iid-deduplicated', widths: [4, 3] }], sampling: T1 },
];

describe('rsd: emitted tokens follow the target distribution (chi-square, 30,000 trials each)', () => {
  EXACT_CASES.forEach((c, i) => {
    it(c.name, () => {
      const traits = treeTraits(buildTree(WORLD, ROOT, c.specs, c.sampling, createRng(i)));
      const mixed = c.specs.some((s) => s.mode === 'topk');
      expect(traits.children).to.equal(mixed ? 'mixed' : 'distinct');
      if (!mixed) expect(rsd.exactFor(traits, c.sampling), 'declared exact').to.equal(true);
      const t0 = performance.now();
      const o = runTrials(setup(c.specs, c.sampling), ROOT, TRIALS, 300 + i);
      report(c.name, o, performance.now() - t0);
      expect(o.first.pValue, `first token: ${describeChi(o.first)}`).to.be.above(0.001);
      expect(o.two.pValue, `first two tokens: ${describeChi(o.two)}`).to.be.above(0.001);
    });
  });
});

describe('rsd: the chi-square test has power (wrong RSD fails, p < 1e-6)', () => {
  function expectCaught(name: string, d: DecodeSetup, seed: number): void {
    const t0 = performance.now();
    const o = runTrials(d, ROOT, TRIALS, seed);
    report(name, o, performance.now() - t0);
    expect(Math.min(o.first.pValue, o.two.pValue), `${describeChi(o.first)}; ${describeChi(o.two)}`).to.be.below(1e-6);
  }

  it('q not renormalized over the untried tokens after a rejection', () => {
    expectCaught('no renormalization', setup([distinct(1, 4, 2)], T1, unrenormalizedRecords), 8001);
  });

  it('siblings tested most probable first instead of in draw order', () => {
    expectCaught('rank order', setup([distinct(1, 4, 2)], T1, recordsByProbability), 8002);
  });

  it('draws cut by their value left out of the record', () => {
    expectCaught('pruned draws forgotten', setup([pruned(2, 4, 2)], T1, forgetUnkeptDraws), 8003);
  });
});
