/**
 * Model-free trees under stochastic verification: their children are
 * deterministic draws (q = null), which MSS treats as point masses, so the
 * emitted tokens must follow the target's distribution. One real tree per
 * speculator (from a repetitive prompt, so it has several levels), scored
 * once by stories260K; 20,000 verifications at temperature 1; the first
 * emitted token is compared with the target's root distribution.
 */
import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { buildRun } from '../../src/harness/components.js';
import { speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { probabilities } from '../../src/sampling/transform.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import type { WeightsType } from '../../src/model/formats/quant.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { chiSquareTest, describeChi, tally } from '../support/stats.js';

const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
const PROMPT = 'The dog ran to the park. The cat ran to the park. The dog ran to the park. The cat ran to the';
const TRIALS = 20000;

describe('model-free trees + MSS at temperature 1: the first token follows the target (chi-square)', () => {
  before(() => useTestModelsDir());

  const cases: [string, SpeculatorConfig, WeightsType][] = [
    ['ngram', speculatorConfig('ngram'), 'f32'],
    ['suffix', speculatorConfig('suffix'), 'f32'],
    ['suffix', speculatorConfig('suffix'), 'q4_0'],
  ];
  cases.forEach(([name, cfg, weights], i) => {
    it(`${name}, ${weights} target: ${TRIALS} verifications of one real tree`, async () => {
      const run = await buildRun({
        target: 'stories260K',
        targetWeights: weights,
        speculator: cfg,
        verifier: { kind: 'mss' },
        sampling: T1,
        maxNodes: 64,
        allowLossy: false,
        engine: {},
      });
      const prompt = run.tokenizer.encode(PROMPT);
      const session = await run.speculator.begin(prompt);
      const tree = await session.propose({ sampling: T1, rng: createRng(1), maxNodes: 64, maxDepth: 64 });
      const seq = await run.target.open(prompt);
      const logits = await seq.score(tree);
      expect(tree.tokens.length, 'a tree with some depth').to.be.at.least(3);
      expect(tree.draws.flat().every((d) => d.q === null)).to.equal(true);
      const rng = createRng(900 + i);
      const first = new Map<number, number>();
      for (let t = 0; t < TRIALS; t++) {
        const r = run.verifier.verify(tree, logits, T1, rng);
        tally(first, r.path.length > 0 ? tree.tokens[r.path[0]] : r.next);
      }
      const exact = probabilities(logits.row(0), T1);
      await run.dispose();
      const chi = chiSquareTest(first, new Map([...exact.entries()]));
      console.log(`      ${tree.tokens.length} nodes, depth ${Math.max(...tree.depths)}; ${describeChi(chi)}`);
      expect(chi.pValue, describeChi(chi)).to.be.above(0.001);
    });
  });
});
