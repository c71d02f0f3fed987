/** Classic speculative sampling of one chain (Leviathan et al., Chen et al. 2023). */
import { defineVerifier } from '../define.js';
import { SequenceVerifier } from '../sequence.js';

export const sequenceVerifier = defineVerifier({
  kind: 'sequence',
  description: 'Speculative sampling of a chain (Leviathan et al., Chen et al. 2023): chains from one proposer only.',
  needs: 'sequence needs a chain from one proposer',
  create: () => new SequenceVerifier(),
});
