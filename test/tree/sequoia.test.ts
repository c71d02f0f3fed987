import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { SequoiaPolicy } from '../../src/tree/sequoia-policy.js';
import { hardwareAwareTemplate, latencyCurve, SequoiaTable, type TemplateNode } from '../../src/tree/sequoia.js';
import { GREEDY } from '../../src/sampling/params.js';
import { pairs, scriptedSource } from '../support/sources.js';

/** Expected accepted tokens of a template: sum over nodes of the product of p[rank] on the root path. */
function valueOf(nodes: readonly TemplateNode[], p: readonly number[]): number {
  const reach: number[] = [];
  nodes.forEach((n, i) => (reach[i] = (n.parent < 0 ? 1 : reach[n.parent]) * p[n.rank]));
  return reach.reduce((s, v) => s + v, 0);
}

/** Best value over every rank-labelled tree of <= n nodes and depth <= d, by exhaustive enumeration. */
function bruteForce(p: readonly number[], n: number, d: number): number {
  let best = 0;
  const grow = (nodes: TemplateNode[], depth: number[], kids: number[], rootKids: number) => {
    best = Math.max(best, valueOf(nodes, p));
    if (nodes.length === n) return;
    for (let parent = -1; parent < nodes.length; parent++) {
      const rank = parent < 0 ? rootKids : kids[parent];
      const dep = parent < 0 ? 1 : depth[parent] + 1;
      if (rank >= p.length || dep > d) continue;
      if (parent >= 0) kids[parent]++;
      grow([...nodes, { parent, rank }], [...depth, dep], [...kids, 0], parent < 0 ? rootKids + 1 : rootKids);
      if (parent >= 0) kids[parent]--;
    }
  };
  grow([], [], [], 0);
  return best;
}

describe('Sequoia DP (optimal tree for a per-rank acceptance vector)', () => {
  /**
   * p = [0.5, 0.4]. By hand:
   *   n=1: one rank-1 child: 0.5.
   *   n=2: siblings (ranks 1, 2): 0.9 > chain 0.5 + 0.25 = 0.75.
   *   n=3, d=2: rank-1 child with its own rank-1 child, plus a rank-2 child:
   *        0.5 + 0.25 + 0.4 = 1.15 (siblings-only is capped at 0.9: two ranks).
   *   n=3, d=1: only two ranks exist: 0.9.
   *   n=4, d=2: both children get a rank-1 child: 0.5 + 0.4 + 0.25 + 0.2 = 1.35
   *        (vs rank-1 child with two children: 0.5 + 0.25 + 0.2 + 0.4 = 1.35 -- a tie; either).
   *   n=4, d=3: chain below the rank-1 child: 0.5 + 0.25 + 0.125 + 0.4 = 1.275 < 1.35.
   */
  const p = [0.5, 0.4];
  const table = new SequoiaTable(p, 4, 3);
  const cases: [number, number, number][] = [
    [1, 1, 0.5],
    [2, 1, 0.9],
    [2, 2, 0.9],
    [3, 1, 0.9],
    [3, 2, 1.15],
    [3, 3, 1.15],
    [4, 2, 1.35],
    [4, 3, 1.35],
  ];
  for (const [n, d, v] of cases) {
    it(`p = [0.5, 0.4], n = ${n}, d = ${d}: ${v}`, () => {
      expect(table.value(n, d)).to.be.closeTo(v, 1e-12);
      const t = table.template(n, d);
      expect(valueOf(t.nodes, p)).to.be.closeTo(v, 1e-12);
      expect(t.depth).to.be.at.most(d);
    });
  }

  it('the n = 3, d = 2 template is {rank 1 -> rank 1, rank 2}, breadth-first', () => {
    expect(table.template(3, 2).nodes).to.deep.equal([
      { parent: -1, rank: 0 },
      { parent: -1, rank: 1 },
      { parent: 0, rank: 0 },
    ]);
  });

  it('a confident draft (p = [0.9, 0.05]) gets a chain: 0.9 + 0.81 + 0.729', () => {
    const t = new SequoiaTable([0.9, 0.05], 3, 3).template(3, 3);
    expect(t.expected).to.be.closeTo(2.439, 1e-12);
    expect(t.nodes.map((x) => x.rank)).to.deep.equal([0, 0, 0]);
  });

  it('equals exhaustive search over all trees (random vectors, n <= 5, d <= 4, up to 3 ranks)', () => {
    const rng = createRng(42);
    for (let trial = 0; trial < 30; trial++) {
      const K = 1 + Math.floor(rng.uniform() * 3);
      const raw = Array.from({ length: K + 1 }, () => rng.uniform());
      const sum = raw.reduce((s, v) => s + v, 0);
      const vec = raw
        .slice(0, K)
        .map((v) => v / sum)
        .sort((a, b) => b - a);
      const t = new SequoiaTable(vec, 5, 4);
      for (let n = 0; n <= 5; n++) {
        for (let d = 1; d <= 4; d++) {
          expect(t.value(n, d), `p=[${vec.join(',')}], n=${n}, d=${d}`).to.be.closeTo(bruteForce(vec, n, d), 1e-12);
          expect(valueOf(t.template(n, d).nodes, vec)).to.be.closeTo(t.value(n, d), 1e-12);
        }
      }
    }
  });

  it('hardware-aware: a forward that gets expensive past 2 rows keeps the tree at one node', () => {
    const t = hardwareAwareTemplate(new SequoiaTable(p, 4, 3), { forwardMs: { 1: 1, 2: 1, 3: 10, 5: 10 }, draftMsPerLevel: 0 });
    // rates: n=0 1/1, n=1 1.5/1, n=2 1.9/10, ...: one node.
    expect(t.nodes).to.deep.equal([{ parent: -1, rank: 0 }]);
  });

  it('hardware-aware with a flat latency curve equals the tokens-per-step optimum', () => {
    const table = new SequoiaTable(p, 4, 3);
    const t = hardwareAwareTemplate(table, { forwardMs: { 1: 1, 64: 1 }, draftMsPerLevel: 0 });
    expect(t.expected).to.be.closeTo(table.value(4, 3), 1e-12);
  });

  it('latencyCurve interpolates linearly and extrapolates past the ends', () => {
    const f = latencyCurve({ '1': 1, '3': 2, '5': 6 });
    expect(f(2)).to.equal(1.5);
    expect(f(4)).to.equal(4);
    expect(f(7)).to.equal(10);
    expect(f(0)).to.equal(0.5);
  });

  it('the policy grows the template from a ranked source; a missing rank leaves its subtree out', async () => {
    const policy = new SequoiaPolicy({ acceptance: p, depth: 3 });
    const src = scriptedSource({
      '': [
        [10, 0.5],
        [11, 0.4],
      ],
      '10': [[12, 1]],
      '11': [],
    });
    const tree = await policy.grow(src, { sampling: GREEDY, rng: createRng(0), maxNodes: 4, maxDepth: 9 });
    // template for n=4: two children, each with a rank-1 child (or the tie); 11 has no candidates.
    expect(pairs(tree).slice(0, 3)).to.deep.equal([
      [10, -1],
      [11, -1],
      [12, 0],
    ]);
    expect(tree.tokens.length).to.equal(3);
  });
});
