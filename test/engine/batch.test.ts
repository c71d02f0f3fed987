import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import type { Model } from '../../src/core/model.js';
import { pathTo, EMPTY_TREE } from '../../src/tree/tree.js';
import { engineModel } from '../support/engine-models.js';
import { maxAbsDiff, randomLeaf, randomTree } from '../support/random-tree.js';

const TOL = 1e-4;

describe('batched tree forward equals each request alone', () => {
  let model: Model;
  before(async () => (model = await engineModel('stories260K')));
  after(async () => model.dispose());

  it('B = 4 requests with different prefix lengths and trees, over two steps', async () => {
    const rng = createRng(11);
    const prompts = [3, 9, 1, 17].map((len) => Int32Array.from({ length: len }, (_, i) => (i === 0 ? 1 : 3 + Math.floor(rng.uniform() * 500))));
    const trees = [10, 1, 25, 0].map((n) => (n === 0 ? EMPTY_TREE : randomTree(rng, n, 6, 512)));
    const batched = await Promise.all(prompts.map((p) => model.open(p)));
    const alone = await Promise.all(prompts.map((p) => model.open(p)));
    for (let step = 0; step < 2; step++) {
      const together = await model.scoreBatch(batched, trees);
      for (let b = 0; b < prompts.length; b++) {
        const single = await alone[b].score(trees[b]);
        expect(together[b].rows).to.equal(single.rows);
        for (let r = 0; r < single.rows; r++) {
          expect(maxAbsDiff(together[b].row(r), single.row(r)), `step ${step} request ${b} row ${r}`).to.be.at.most(TOL);
        }
        const leaf = trees[b].tokens.length > 0 ? randomLeaf(rng, trees[b]) : -1;
        const path = leaf < 0 ? new Int32Array(0) : pathTo(trees[b].parents, leaf);
        batched[b].commit(path, 100 + b);
        alone[b].commit(path, 100 + b);
        expect(batched[b].committedLength).to.equal(alone[b].committedLength);
      }
    }
  });

  it('rejects a sequence of another model', async () => {
    const other = await engineModel('random:tiny:3');
    const seq = await other.open(Int32Array.from([1]));
    let err: unknown;
    try {
      await model.scoreBatch([seq], [EMPTY_TREE]);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/another model/);
    await other.dispose();
  });
});
