/** Seeded two-token decodes on a synthetic world, tested against the exact target (the distribution tests' driver). */
import { createRng } from '../../src/core/rng.js';
import { chiSquareTest, describeChi, tally, type ChiSquareResult } from '../support/stats.js';
import { exactTargets, firstTwo, type DecodeSetup } from './synthetic.js';

export interface Outcome {
  readonly first: ChiSquareResult;
  readonly two: ChiSquareResult;
}

/** Runs `trials` two-token decodes after `root` and tests both distributions (first token, first two) against the exact target. */
export function runTrials(d: DecodeSetup, root: number, trials: number, seed: number): Outcome {
  const treeRng = createRng(seed);
  const verifyRng = createRng(seed).fork('verify');
  const first = new Map<number, number>();
  const two = new Map<number, number>();
  for (let t = 0; t < trials; t++) {
    const [a, b] = firstTwo(d, root, treeRng, verifyRng);
    tally(first, a);
    tally(two, a * d.world.vocab + b);
  }
  const exact = exactTargets(d.world, root, d.sampling);
  return { first: chiSquareTest(first, exact.first), two: chiSquareTest(two, exact.two) };
}

export function report(name: string, o: Outcome, ms: number): void {
  console.log(`      ${name}: first ${describeChi(o.first)}; two ${describeChi(o.two)}; ${ms.toFixed(0)} ms`);
}
