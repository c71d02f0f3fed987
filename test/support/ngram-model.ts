import type { Logits, Model, ModelInfo, Sequence } from '../../src/core/model.js';
import type { TreeShape } from '../../src/core/tree-shape.js';
import { pathTo } from '../../src/tree/tree.js';

/**
 * A model whose logits after a context depend on its last `order` tokens
 * only (an n-gram model, pseudo-random values of size up to `scale`);
 * counts the tree rows it computes. Cheap stand-in for draft and target in
 * tests of speculators and of output distributions.
 */
export class NgramModel implements Model {
  readonly info: ModelInfo;
  rowsComputed = 0;

  constructor(
    private readonly order: number,
    vocabSize: number,
    private readonly scale = 2,
    private readonly salt = 0,
  ) {
    this.info = { id: `ngram-${order}-${salt}`, vocabSize, maxContext: 1000, bosId: 1, eosIds: [2] };
  }

  logitsOf(context: readonly number[]): Float32Array {
    const h = context.slice(-this.order).reduce((a, t) => a * 31 + t + 1, this.salt);
    return Float32Array.from({ length: this.info.vocabSize }, (_, v) => Math.sin(1 + v * 7 + h * 0.37) * this.scale);
  }

  async open(prompt: Int32Array): Promise<Sequence> {
    return new NgramSequence(this, Array.from(prompt));
  }

  async scoreBatch(sequences: readonly Sequence[], trees: readonly TreeShape[]): Promise<Logits[]> {
    return Promise.all(sequences.map((s, i) => s.score(trees[i])));
  }

  async dispose(): Promise<void> {}
}

class NgramSequence implements Sequence {
  private scored: TreeShape | null = null;

  constructor(
    private readonly model: NgramModel,
    readonly tokens: number[],
  ) {}

  get committedLength(): number {
    return this.tokens.length - 1;
  }
  get root(): number {
    return this.tokens[this.tokens.length - 1];
  }
  get length(): number {
    return this.tokens.length;
  }

  /** Rows of a tree extending the last scored one are counted once. */
  async score(tree: TreeShape): Promise<Logits> {
    const seen = this.scored === null ? 0 : this.scored.tokens.length + 1;
    this.model.rowsComputed += tree.tokens.length + 1 - seen;
    this.scored = tree;
    const rows = Array.from({ length: tree.tokens.length + 1 }, (_, r) => {
      const path = r === 0 ? [] : Array.from(pathTo(tree.parents, r - 1), (v) => tree.tokens[v]);
      return this.model.logitsOf([...this.tokens, ...path]);
    });
    return { rows: rows.length, vocabSize: this.model.info.vocabSize, row: (i) => rows[i] };
  }

  commit(path: Int32Array, next: number): void {
    const tree = this.scored;
    this.tokens.push(...Array.from(path, (v) => (tree as TreeShape).tokens[v]), next);
    this.scored = null;
  }
}
