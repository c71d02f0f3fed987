import { DraftTreeBuilder } from '../tree/builder.js';
import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';
import type { Speculator, SpeculatorSession } from './types.js';

const EMPTY: DraftTree = new DraftTreeBuilder([]).finish();

/** Proposes nothing: the speculative loop then is plain incremental decoding (tokens/step = 1). */
export class NoSpeculator implements Speculator {
  readonly kind = 'none';

  treeTraits(): TreeTraits {
    return { children: 'none', chain: true };
  }

  async begin(): Promise<SpeculatorSession> {
    return { propose: async () => EMPTY, observe: async () => {} };
  }

  async dispose(): Promise<void> {}
}
