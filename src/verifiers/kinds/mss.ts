/** SpecInfer's VerifyStochastic: multi-step speculative sampling. */
import { defineVerifier } from '../define.js';
import { MssVerifier } from '../mss.js';

export const mssVerifier = defineVerifier({
  kind: 'mss',
  description: 'Multi-step speculative sampling: rejection sampling over the multiset of draws at each node (SpecInfer).',
  needs: 'mss cannot take siblings drawn without replacement: use rsd',
  create: () => new MssVerifier(),
});
