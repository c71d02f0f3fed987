import type { DistinctDraws, DraftTree, Draw } from './draft-tree.js';
import type { TreeShape } from '../core/tree-shape.js';

/**
 * Builds a DraftTree node by node. Drawing a token that already is a child of
 * the same parent adds a draw to the existing node instead of a new node.
 * Rows: 0 = the root, i + 1 = node i.
 */
export class DraftTreeBuilder {
  private readonly tokens: number[] = [];
  private readonly parents: number[] = [];
  private readonly depths: number[] = [];
  private readonly proposedBy: number[] = [];
  private readonly draws: Draw[][] = [[]];
  /** Row -> its without-replacement draw records. */
  private readonly distinct = new Map<number, DistinctDraws[]>();
  /** Per row: token -> child node. */
  private readonly children: Map<number, number>[] = [new Map<number, number>()];

  constructor(readonly proposerIds: readonly string[]) {}

  get size(): number {
    return this.tokens.length;
  }

  /** Depth of a row (root = 0). */
  depthOf(row: number): number {
    return row === 0 ? 0 : this.depths[row - 1];
  }

  /** Node index of `token` below row `parentRow`, or -1. */
  childOf(parentRow: number, token: number): number {
    return this.children[parentRow].get(token) ?? -1;
  }

  /**
   * Records a draw of `token` below row `parentRow` by `proposer` (from
   * distribution q, or deterministic when q is null); returns the child's node index.
   */
  draw(parentRow: number, token: number, proposer: number, q: Float32Array | null): number {
    let node = this.childOf(parentRow, token);
    if (node < 0) {
      node = this.tokens.length;
      this.tokens.push(token);
      this.parents.push(parentRow - 1);
      this.depths.push(this.depthOf(parentRow) + 1);
      this.proposedBy.push(0);
      this.draws.push([]);
      this.children.push(new Map());
      this.children[parentRow].set(token, node);
    }
    this.proposedBy[node] |= 1 << proposer;
    this.draws[parentRow].push({ child: node, proposer, q });
    return node;
  }

  /**
   * Records that `proposer` drew `tokens` (in draw order) without replacement
   * from q below row `row`, kept as nodes or not (see DistinctDraws). The
   * kept ones are added with draw() as usual.
   */
  recordDistinct(row: number, proposer: number, q: Float32Array, tokens: readonly number[]): void {
    const list = this.distinct.get(row) ?? [];
    list.push({ proposer, q, tokens: [...tokens] });
    this.distinct.set(row, list);
  }

  /** The tree so far as flat arrays (copies). */
  shape(): TreeShape {
    return { tokens: Int32Array.from(this.tokens), parents: Int32Array.from(this.parents) };
  }

  finish(): DraftTree {
    return {
      tokens: Int32Array.from(this.tokens),
      parents: Int32Array.from(this.parents),
      depths: Int32Array.from(this.depths),
      proposerIds: this.proposerIds,
      proposedBy: Uint32Array.from(this.proposedBy),
      draws: this.draws.map((d) => [...d]),
      ...(this.distinct.size > 0 ? { distinct: this.draws.map((_, row) => [...(this.distinct.get(row) ?? [])]) } : {}),
    };
  }
}

/** Prefix-trie union of trees (docs/design.md#building-trees): a node exists iff its root path exists in some input. Draws are kept per proposer. */
export function mergeTrees(trees: readonly DraftTree[]): DraftTree {
  const ids = [...new Set(trees.flatMap((t) => t.proposerIds))];
  const b = new DraftTreeBuilder(ids);
  for (const t of trees) {
    const rowMap = new Int32Array(t.tokens.length + 1); // row in t -> row in the merge
    for (let row = 0; row <= t.tokens.length; row++) {
      for (const d of t.draws[row]) {
        const node = b.draw(rowMap[row], t.tokens[d.child], ids.indexOf(t.proposerIds[d.proposer]), d.q);
        rowMap[d.child + 1] = node + 1;
      }
      for (const r of t.distinct?.[row] ?? []) b.recordDistinct(rowMap[row], ids.indexOf(t.proposerIds[r.proposer]), r.q, r.tokens);
    }
  }
  return b.finish();
}
