/**
 * SpecInfer Theorem 4.3: on the same sampled trees, MSS rejects no more
 * often than naive sampling, so it accepts at least as many tokens per step.
 */
import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { createVerifier } from '../../src/verifiers/index.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import { buildTree, makeWorld, treeLogits, type ProposerSpec, type World } from './synthetic.js';

const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
const TRIALS = 20000;

interface Comparison {
  readonly mss: number; // mean accepted-path length
  readonly ns: number;
  readonly se: number; // standard error of the mean paired difference
}

/** Verifies each tree with both MSS and NS (independent rngs) and compares the accepted-path lengths. */
function compare(world: World, specs: ProposerSpec[], seed: number): Comparison {
  const mss = createVerifier('mss');
  const ns = createVerifier('ns');
  const treeRng = createRng(seed);
  const mssRng = createRng(seed).fork('mss');
  const nsRng = createRng(seed).fork('ns');
  let sumM = 0;
  let sumN = 0;
  let sumD2 = 0;
  for (let t = 0; t < TRIALS; t++) {
    const root = t % world.vocab;
    const tree = buildTree(world, root, specs, T1, treeRng);
    const logits = treeLogits(world, root, tree);
    const m = mss.verify(tree, logits, T1, mssRng).path.length;
    const n = ns.verify(tree, logits, T1, nsRng).path.length;
    sumM += m;
    sumN += n;
    sumD2 += (m - n) ** 2;
  }
  const diff = (sumM - sumN) / TRIALS;
  const se = Math.sqrt((sumD2 / TRIALS - diff * diff) / TRIALS);
  const c = { mss: sumM / TRIALS, ns: sumN / TRIALS, se };
  console.log(`      accepted per step: mss ${c.mss.toFixed(3)}, ns ${c.ns.toFixed(3)} (se of difference ${c.se.toFixed(4)})`);
  return c;
}

describe('MSS accepts at least as many tokens as NS on the same trees (SpecInfer Theorem 4.3)', () => {
  const world = makeWorld(31, 8, 1.5, [0.5, 1.5, 0]);

  it('sampled trees <2,2,2> from a good draft: MSS accepts clearly more', () => {
    const c = compare(world, [{ draft: 0, mode: 'sampled', widths: [2, 2, 2] }], 1);
    expect(c.mss - c.ns).to.be.above(Math.max(0.2, 10 * c.se));
  });

  it('merged sampled trees from a good and a poor draft: MSS accepts more', () => {
    const c = compare(
      world,
      [
        { draft: 0, mode: 'sampled', widths: [2, 1, 1] },
        { draft: 1, mode: 'sampled', widths: [2, 1] },
      ],
      2,
    );
    expect(c.mss - c.ns).to.be.above(10 * c.se);
  });

  it('a chain sampled from the target itself: MSS accepts every token, NS does not', () => {
    const c = compare(world, [{ draft: 2, mode: 'sampled', widths: [1, 1, 1] }], 3);
    expect(c.mss).to.equal(3);
    expect(c.ns).to.be.below(2);
  });

  it('deterministic top-k children (point masses): MSS and NS accept equally often', () => {
    const c = compare(world, [{ draft: 0, mode: 'topk', widths: [3, 2, 1] }], 4);
    expect(Math.abs(c.mss - c.ns)).to.be.below(4 * c.se);
  });
});
