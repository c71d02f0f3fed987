import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { HybridSpeculator } from '../../src/speculators/hybrid.js';
import type { Speculator, SpeculatorSession, StepOutcome } from '../../src/speculators/types.js';
import { DraftTreeBuilder } from '../../src/tree/builder.js';
import type { DraftTree, TreeTraits } from '../../src/tree/draft-tree.js';
import type { GrowContext } from '../../src/tree/policy.js';
import { GREEDY } from '../../src/sampling/params.js';
import { outcome } from '../support/outcomes.js';
import { pairs } from '../support/sources.js';

const CTX: GrowContext = { sampling: GREEDY, rng: createRng(0), maxNodes: 64, maxDepth: 50 };

/** A part that proposes root children `tokens` (as many as the budget allows) and logs what it was asked. */
function part(id: string, tokens: number[], traits: TreeTraits, matchLength?: number) {
  const log = { proposals: [] as number[], observed: 0, ended: 0 };
  const speculator: Speculator = {
    kind: id,
    treeTraits: () => traits,
    async begin(): Promise<SpeculatorSession> {
      const s: SpeculatorSession = {
        async propose(ctx: GrowContext): Promise<DraftTree> {
          log.proposals.push(ctx.maxNodes);
          const b = new DraftTreeBuilder([id]);
          for (const t of tokens.slice(0, ctx.maxNodes)) b.draw(0, t, 0, null);
          return b.finish();
        },
        async observe(_o: StepOutcome) {
          log.observed++;
        },
        async end() {
          log.ended++;
        },
      };
      return matchLength === undefined ? s : { ...s, matchLength: () => matchLength };
    },
    async dispose() {},
  };
  return { speculator, log };
}

const DET: TreeTraits = { children: 'deterministic', chain: true };
const SAMPLED: TreeTraits = { children: 'sampled', chain: false };

describe('hybrid speculator', () => {
  it('merge: prefix union of the parts, each with the budget left, draws kept per proposer', async () => {
    const a = part('a', [1, 2], DET, 5);
    const b = part('b', [3, 1, 4], SAMPLED);
    const s = await new HybridSpeculator([a.speculator, b.speculator], { mode: 'merge', minMatch: 3 }).begin(Int32Array.of(1));
    const tree = await s.propose({ ...CTX, maxNodes: 3 });
    expect(pairs(tree)).to.deep.equal([
      [1, -1],
      [2, -1],
      [3, -1],
    ]);
    expect(a.log.proposals).to.deep.equal([3]);
    expect(b.log.proposals).to.deep.equal([1]);
    expect(tree.proposerIds).to.deep.equal(['a', 'b']);
    expect(tree.draws[0].map((d) => [d.child, d.proposer])).to.deep.equal([
      [0, 0],
      [1, 0],
      [2, 1],
    ]);
  });

  it('switch: the first part whose match reaches minMatch; parts without a match length always qualify', async () => {
    for (const [minMatch, want] of [
      [3, 'b'],
      [2, 'a'],
    ] as const) {
      const a = part('a', [1], DET, 2);
      const b = part('b', [2], SAMPLED);
      const s = await new HybridSpeculator([a.speculator, b.speculator], { mode: 'switch', minMatch }).begin(Int32Array.of(1));
      const tree = await s.propose(CTX);
      expect(tree.proposerIds, `minMatch ${minMatch}`).to.deep.equal([want]);
      expect(s.matchLength?.()).to.equal(2);
    }
  });

  it('switch: the last part when no part qualifies', async () => {
    const a = part('a', [1], DET, 0);
    const b = part('b', [2], DET, 1);
    const s = await new HybridSpeculator([a.speculator, b.speculator], { mode: 'switch', minMatch: 3 }).begin(Int32Array.of(1));
    expect((await s.propose(CTX)).proposerIds).to.deep.equal(['b']);
  });

  it('every part observes every step and is told when the request ends', async () => {
    const a = part('a', [1], DET, 5);
    const b = part('b', [2], DET);
    const s = await new HybridSpeculator([a.speculator, b.speculator], { mode: 'switch', minMatch: 3 }).begin(Int32Array.of(1));
    await s.propose(CTX);
    await s.observe(outcome([1, 4]));
    await s.end?.();
    expect([a.log.observed, b.log.observed, a.log.ended, b.log.ended]).to.deep.equal([1, 1, 1, 1]);
    expect(b.log.proposals).to.deep.equal([]);
  });

  it('tree traits: merge is never a chain and mixes children kinds; switch of chains is a chain', () => {
    const a = part('a', [], DET).speculator;
    const b = part('b', [], SAMPLED).speculator;
    const c = part('c', [], DET).speculator;
    expect(new HybridSpeculator([a, b], { mode: 'merge', minMatch: 1 }).treeTraits(GREEDY)).to.deep.equal({ children: 'mixed', chain: false });
    expect(new HybridSpeculator([a, c], { mode: 'merge', minMatch: 1 }).treeTraits(GREEDY)).to.deep.equal({ children: 'deterministic', chain: false });
    expect(new HybridSpeculator([a, c], { mode: 'switch', minMatch: 1 }).treeTraits(GREEDY)).to.deep.equal({ children: 'deterministic', chain: true });
  });
});
