import type { TreeShape } from './tree-shape.js';

export interface ModelInfo {
  readonly id: string;
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly bosId: number;
  readonly eosIds: readonly number[];
}

/** Logit rows of one request: row 0 = the root token, row i + 1 = tree node i. */
export interface Logits {
  readonly rows: number;
  readonly vocabSize: number;
  /** A view (no copy) of row i: [vocab]. Valid until the sequence's next score(). */
  row(i: number): Float32Array;
}

/**
 * One request's decoding state: `committedLength` tokens have K/V in the
 * cache; `root` is the last token, known but not yet cached. score() computes
 * the root and every tree node in one forward; its rows stay pending until
 * commit() keeps a root-to-node path and appends the next root token.
 */
export interface Sequence {
  readonly committedLength: number;
  readonly root: number;
  /** Every token so far: the committed ones, then the root. */
  readonly tokens: readonly number[];
  /** tokens.length, without building the array. */
  readonly length: number;
  score(tree: TreeShape): Promise<Logits>;
  /** Keeps the root and tree nodes `path` (root-to-node order, may be empty); `next` becomes the root. */
  commit(path: Int32Array, next: number): void;
}

export interface Model {
  readonly info: ModelInfo;
  /** A new sequence with `prompt` (BOS first) prefilled. */
  open(prompt: Int32Array): Promise<Sequence>;
  /** One batched forward over several sequences of this model (same as each score() alone). */
  scoreBatch(sequences: readonly Sequence[], trees: readonly TreeShape[]): Promise<Logits[]>;
  dispose(): Promise<void>;
}
