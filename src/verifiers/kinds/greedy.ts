/** SpecInfer's VerifyGreedy (Algorithm 2). */
import { defineVerifier } from '../define.js';
import { GreedyVerifier } from '../greedy.js';

export const greedyVerifier = defineVerifier({
  kind: 'greedy',
  description: "Accept the child equal to the target's argmax, repeatedly; emit the argmax (temperature 0 only).",
  needs: 'greedy needs temperature 0',
  create: () => new GreedyVerifier(),
});
