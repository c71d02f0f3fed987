/** Naive sampling (SpecInfer section 4.3). */
import { defineVerifier } from '../define.js';
import { NsVerifier } from '../ns.js';

export const nsVerifier = defineVerifier({
  kind: 'ns',
  description: "Naive sampling: sample the target and follow the child with that token (ignores the draws' q).",
  needs: 'ns is exact for every tree',
  create: () => new NsVerifier(),
});
