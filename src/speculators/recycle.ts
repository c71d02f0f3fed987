/**
 * Token recycling (Luo et al., arXiv 2408.08696): an adjacency table
 * [vocab, k] holding, for each token, the target's top-k next tokens the
 * last time the target scored a row ending in that token. Every step
 * refreshes the rows of every scored tree node (the target's logits are
 * already there), so candidates the target considered but did not emit are
 * "recycled". Proposals for a row are the table entry of its last token; a
 * breadth-first policy over the table builds the tree under the node budget.
 * State: vocab * k * 8 bytes (512 x 8: 32 KB; 32000 x 8: 2 MB), shared by
 * all requests of a speculator.
 */
import { topIndices } from '../tree/candidates.js';
import type { RowProposal } from '../tree/policy.js';
import type { TreeShape } from '../core/tree-shape.js';
import type { LookupState } from './lookup.js';
import type { StepOutcome } from './types.js';

export class RecycleTable {
  /** [vocab, k] token ids, -1 = empty. */
  readonly next: Int32Array;
  /** [vocab, k] the target's probabilities (softmax at temperature 1) of those tokens. */
  readonly probs: Float32Array;

  constructor(
    readonly vocabSize: number,
    readonly k: number,
  ) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`recycle: k must be a positive integer, got ${k}`);
    this.next = new Int32Array(vocabSize * k).fill(-1);
    this.probs = new Float32Array(vocabSize * k);
  }

  /** Row `token` := the top-k of the target's logits after it. */
  update(token: number, logits: Float32Array): void {
    const top = topIndices(logits, this.k);
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
    let sum = 0;
    for (let i = 0; i < logits.length; i++) {
      const d = logits[i] - max;
      if (d > -40) sum += Math.exp(d); // e^-40 ~ 4e-18: below float32 resolution of the sum
    }
    const base = token * this.k;
    for (let j = 0; j < this.k; j++) {
      const p = j < top.length ? Math.exp(logits[top[j]] - max) / sum : 0;
      this.next[base + j] = p > 0 ? top[j] : -1; // a token the target rules out is no candidate
      this.probs[base + j] = p > 0 ? p : 0;
    }
  }

  /** The entry of `token` as a ranked proposal. */
  proposal(token: number): RowProposal {
    const tokens: number[] = [];
    const probs: number[] = [];
    for (let j = 0, base = token * this.k; j < this.k && this.next[base + j] >= 0; j++) {
      tokens.push(this.next[base + j]);
      probs.push(this.probs[base + j]);
    }
    return { kind: 'ranked', tokens, probs };
  }
}

/** One request's view: its root token; the table is the speculator's. */
export class RecycleState implements LookupState {
  readonly proposerId = 'recycle';
  private root: number;

  constructor(
    private readonly table: RecycleTable,
    prompt: Int32Array,
  ) {
    this.root = prompt[prompt.length - 1];
  }

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    return rows.map((row) => this.table.proposal(row === 0 ? this.root : tree.tokens[row - 1]));
  }

  reset(): void {}

  /** Refreshes the table from the target's logits at the root and every tree node, then moves the root. */
  observe(outcome: StepOutcome): void {
    const { tree, target } = outcome;
    for (let row = 0; row <= tree.tokens.length && row < target.rows; row++) {
      this.table.update(row === 0 ? this.root : tree.tokens[row - 1], target.row(row));
    }
    this.root = outcome.emitted[outcome.emitted.length - 1];
  }
}
