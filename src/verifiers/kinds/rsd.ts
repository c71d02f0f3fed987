/** Recursive speculative decoding (Jeon et al. 2024). */
import { defineVerifier } from '../define.js';
import { RsdVerifier } from '../rsd.js';

export const rsdVerifier = defineVerifier({
  kind: 'rsd',
  description: 'Recursive speculative decoding: recursive rejection sampling over siblings drawn without replacement.',
  needs: 'rsd needs children all drawn without replacement (the tree policies do so under rsd) or all deterministic, not a mix',
  create: () => new RsdVerifier(),
});
