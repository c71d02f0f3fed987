import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { ContextDag } from '../../src/tree/context-dag.js';
import type { TreeShape } from '../../src/core/tree-shape.js';
import { pathTo } from '../../src/tree/tree.js';

/**
 * History 1 5 7 (root 7) and the tree
 *   row 1: 5 (root)   row 2: 7 (row 1)   row 3: 9 (root)   row 4: 5 (row 2)
 *   row 5: 9 (row 2)  row 6: 3 (row 4)   row 7: 8 (row 3)
 */
const HISTORY = [1, 5, 7];
const TREE: TreeShape = { tokens: Int32Array.of(5, 7, 9, 5, 9, 3, 8), parents: Int32Array.of(-1, 0, -1, 1, 1, 3, 2) };

function rowNodes(dag: ContextDag): number[] {
  return Array.from({ length: dag.rows }, (_, r) => dag.nodeOf(r));
}

describe('ContextDag', () => {
  it('context 2: contexts (5,7) (7,5) (5,7) (7,9) (7,5) (7,9) (5,3) (9,8) give 5 nodes for 8 rows', () => {
    const dag = new ContextDag(2, HISTORY);
    expect(dag.place(TREE)).to.deep.equal({ fresh: [1, 3, 6, 7], shared: [2, 4, 5] });
    expect(rowNodes(dag)).to.deep.equal([0, 1, 0, 2, 1, 2, 3, 4]);
    const shape = dag.shape();
    expect(Array.from(shape.tokens)).to.deep.equal([5, 9, 3, 8]);
    expect(Array.from(shape.parents)).to.deep.equal([-1, -1, 0, 1]);
  });

  it('context 3: row 2 (7,5,7) is new; rows 4 (5,7,5) and 5 (5,7,9) share rows 1 and 3', () => {
    const dag = new ContextDag(3, HISTORY);
    expect(dag.place(TREE)).to.deep.equal({ fresh: [1, 2, 3, 6, 7], shared: [4, 5] });
    expect(rowNodes(dag)).to.deep.equal([0, 1, 2, 3, 1, 3, 4, 5]);
    expect(Array.from(dag.shape().tokens)).to.deep.equal([5, 7, 9, 3, 8]);
    expect(Array.from(dag.shape().parents)).to.deep.equal([-1, 0, -1, 0, 2]);
  });

  it('placing a growing tree in parts gives the same nodes as placing it whole', () => {
    const dag = new ContextDag(2, HISTORY);
    const prefix = (n: number): TreeShape => ({ tokens: TREE.tokens.slice(0, n), parents: TREE.parents.slice(0, n) });
    expect(dag.place(prefix(3))).to.deep.equal({ fresh: [1, 3], shared: [2] });
    expect(dag.place(prefix(3))).to.deep.equal({ fresh: [], shared: [] });
    expect(dag.place(TREE)).to.deep.equal({ fresh: [6, 7], shared: [4, 5] });
    expect(rowNodes(dag)).to.deep.equal([0, 1, 0, 2, 1, 2, 3, 4]);
  });

  it('a history shorter than the context: the whole history is the context', () => {
    const dag = new ContextDag(2, [1]);
    expect(dag.place({ tokens: Int32Array.of(1, 1), parents: Int32Array.of(-1, 0) })).to.deep.equal({ fresh: [1], shared: [2] });
    expect(dag.nodes).to.equal(2);
  });

  it('random trees: the nodes form a trie whose paths end in the context of every row mapped to them', () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 200; trial++) {
      const context = 1 + Math.floor(rng.uniform() * 3);
      const history = Array.from({ length: 1 + Math.floor(rng.uniform() * 4) }, () => Math.floor(rng.uniform() * 3));
      const n = Math.floor(rng.uniform() * 30);
      const parents = Int32Array.from({ length: n }, (_, i) => Math.floor(rng.uniform() * (i + 1)) - 1);
      const tree = { tokens: Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * 3)), parents };
      const dag = new ContextDag(context, history);
      const placed = dag.place(tree);
      expect(placed.fresh.length + 1).to.equal(dag.nodes);
      expect(placed.fresh.length + placed.shared.length).to.equal(n);
      const shape = dag.shape();
      const siblings = new Set<string>();
      shape.tokens.forEach((t, k) => siblings.add(`${shape.parents[k]}:${t}`));
      expect(siblings.size, 'a trie').to.equal(shape.tokens.length);
      const tail = (row: number, s: TreeShape): string => {
        const path = row === 0 ? [] : Array.from(pathTo(s.parents, row - 1), (v) => s.tokens[v]);
        return [...history, ...path].slice(-context).join(',');
      };
      for (let row = 0; row <= n; row++) expect(tail(dag.nodeOf(row), shape), `row ${row}`).to.equal(tail(row, tree));
    }
  });

  it('bad inputs', () => {
    expect(() => new ContextDag(0, HISTORY)).to.throw(RangeError, 'context must be an integer >= 1, got 0');
    expect(() => new ContextDag(1.5, HISTORY)).to.throw(RangeError, 'context must be an integer >= 1, got 1.5');
    expect(() => new ContextDag(2, HISTORY).nodeOf(1)).to.throw(RangeError, 'row 1 is not placed (1 rows are)');
  });
});
