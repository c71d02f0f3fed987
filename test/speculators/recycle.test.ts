import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { RecycleState, RecycleTable } from '../../src/speculators/recycle.js';
import { DraftTreeBuilder } from '../../src/tree/builder.js';
import { StaticExpansionPolicy } from '../../src/tree/static-expansion.js';
import { GREEDY } from '../../src/sampling/params.js';
import { outcome, rowsOf } from '../support/outcomes.js';
import { pairs } from '../support/sources.js';

const VOCAB = 12;

/** Logits whose top-2 are a then b. */
function prefer(a: number, b?: number): Float32Array {
  const l = new Float32Array(VOCAB);
  l[a] = 2;
  if (b !== undefined) l[b] = 1;
  return l;
}

describe('token recycling', () => {
  it("a table row holds the target's top-k after the token, with softmax probabilities", () => {
    const t = new RecycleTable(4, 2);
    t.update(0, Float32Array.of(0, 3, 1, 2));
    const z = 1 + Math.exp(3) + Math.exp(1) + Math.exp(2);
    const p = t.proposal(0);
    expect(p.kind === 'ranked' && p.tokens).to.deep.equal([1, 3]);
    expect(p.kind === 'ranked' && p.probs[0]).to.be.closeTo(Math.exp(3) / z, 1e-6);
    expect(p.kind === 'ranked' && p.probs[1]).to.be.closeTo(Math.exp(2) / z, 1e-6);
    expect(t.proposal(1)).to.deep.equal({ kind: 'ranked', tokens: [], probs: [] }); // never seen
  });

  it('observe refreshes the rows of the root and every tree node from the target logits, then moves the root', async () => {
    const table = new RecycleTable(VOCAB, 2);
    const s = new RecycleState(table, Int32Array.of(1, 5));
    const b = new DraftTreeBuilder(['x']);
    b.draw(0, 6, 0, null); // node 0 = token 6
    s.observe(outcome([6, 9], b.finish(), rowsOf([...prefer(6, 7)], [...prefer(8, 9)])));
    expect(table.proposal(5)).to.include({ kind: 'ranked' }).and.to.have.deep.property('tokens', [6, 7]);
    expect(table.proposal(6)).to.have.deep.property('tokens', [8, 9]);
    const [root] = await s.propose(new DraftTreeBuilder(['x']).shape(), [0]);
    expect(root).to.have.deep.property('tokens', []); // the root is now 9, never scored
  });

  /**
   * Table: 5 -> 6, 7;  6 -> 8, 9;  7 -> 10;  8 -> 11.  From root 5, breadth-first, <2, 2, 1>:
   * level 1: 6, 7; level 2: 8, 9 (below 6), 10 (below 7); level 3: 11 (below 8); 9 and 10 have no entry.
   */
  const bfs: { name: string; maxNodes: number; want: [number, number][] }[] = [
    {
      name: 'the whole BFS tree',
      maxNodes: 64,
      want: [
        [6, -1],
        [7, -1],
        [8, 0],
        [9, 0],
        [10, 1],
        [11, 2],
      ],
    },
    {
      name: 'a budget of 4 stops in level 2',
      maxNodes: 4,
      want: [
        [6, -1],
        [7, -1],
        [8, 0],
        [9, 0],
      ],
    },
  ];
  for (const c of bfs) {
    it(`BFS over the table: ${c.name}`, async () => {
      const table = new RecycleTable(VOCAB, 2);
      table.update(5, prefer(6, 7));
      table.update(6, prefer(8, 9));
      const only10 = new Float32Array(VOCAB).fill(-Infinity);
      only10[10] = 0;
      table.update(7, only10); // a single finite logit: one candidate
      const only11 = new Float32Array(VOCAB).fill(-Infinity);
      only11[11] = 0;
      table.update(8, only11);
      const s = new RecycleState(table, Int32Array.of(1, 5));
      const tree = await new StaticExpansionPolicy({ expansion: [2, 2, 1] }).grow(s, { sampling: GREEDY, rng: createRng(0), maxNodes: c.maxNodes, maxDepth: 9 });
      expect(pairs(tree)).to.deep.equal(c.want);
    });
  }
});
