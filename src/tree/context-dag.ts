import type { TreeShape } from '../core/tree-shape.js';

/** Rows a placement added: those that need a draft forward (new DAG nodes) and those that share an earlier node. */
export interface Placement {
  readonly fresh: readonly number[];
  readonly shared: readonly number[];
}

/**
 * Graph-structured drafts: rows of a growing token tree (row 0 = the root,
 * row i + 1 = node i) merged by context. A row's context is the last
 * `context` tokens of history + its root path; rows with equal contexts map
 * to one DAG node, whose draft distribution they share (the first such row
 * is the node's representative). Nodes hang below the node of their first
 * row's parent, so the nodes form a token tree of their own (`shape()`, node
 * k = tree node k - 1; a trie: equal tokens below one node have equal
 * contexts): the tree the draft model scores, once per node. Following a
 * path of it from the root reads real tokens, so its scored rows are valid
 * draft cache for any committed path it contains.
 */
export class ContextDag {
  /** Per placed row: its DAG node. */
  private readonly rowNode: number[] = [0];
  /** Per placed row: its context tokens (at most `context`, oldest first). */
  private readonly rowKey: number[][];
  private readonly nodeOfKey: Map<string, number>;
  private readonly tokens: number[] = [];
  private readonly parents: number[] = [];

  /**
   * `history`: the tokens so far, the root last (only its last `context`
   * matter); `context` >= 1.
   */
  constructor(
    readonly context: number,
    history: readonly number[],
  ) {
    if (!Number.isInteger(context) || context < 1) throw new RangeError(`context must be an integer >= 1, got ${context}`);
    const key = history.slice(-context);
    this.rowKey = [key];
    this.nodeOfKey = new Map([[key.join(','), 0]]);
  }

  /** Rows placed so far (row 0 included). */
  get rows(): number {
    return this.rowNode.length;
  }

  /** DAG nodes so far (node 0 = the root's). */
  get nodes(): number {
    return this.tokens.length + 1;
  }

  /** The DAG node of a placed row. */
  nodeOf(row: number): number {
    if (row < 0 || row >= this.rowNode.length) throw new RangeError(`row ${row} is not placed (${this.rowNode.length} rows are)`);
    return this.rowNode[row];
  }

  /** Places the rows of `tree` not placed yet, in order (`tree` extends what earlier calls placed). */
  place(tree: TreeShape): Placement {
    const fresh: number[] = [];
    const shared: number[] = [];
    for (let row = this.rowNode.length; row <= tree.tokens.length; row++) {
      const parentRow = tree.parents[row - 1] + 1;
      const token = tree.tokens[row - 1];
      const key = [...this.rowKey[parentRow], token].slice(-this.context);
      const id = key.join(',');
      let node = this.nodeOfKey.get(id);
      if (node === undefined) {
        node = this.nodes;
        this.tokens.push(token);
        this.parents.push(this.rowNode[parentRow] - 1);
        this.nodeOfKey.set(id, node);
        fresh.push(row);
      } else {
        shared.push(row);
      }
      this.rowNode.push(node);
      this.rowKey.push(key);
    }
    return { fresh, shared };
  }

  /** The DAG's nodes as a token tree (node k = tree node k - 1): what the draft model scores. */
  shape(): TreeShape {
    return { tokens: Int32Array.from(this.tokens), parents: Int32Array.from(this.parents) };
  }
}
