import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import type { Model } from '../../src/core/model.js';
import { EMPTY_TREE, pathTo } from '../../src/tree/tree.js';
import { type TreeShape } from '../../src/core/tree-shape.js';
import { engineModel } from '../support/engine-models.js';
import { maxAbsDiff, randomLeaf, randomTree } from '../support/random-tree.js';

const TOL = 1e-4;
const PROMPT = Int32Array.from([1, 203, 261, 297]);

/** The first `n` nodes of a tree (a valid tree since parents precede children). */
function firstNodes(tree: TreeShape, n: number): TreeShape {
  return { tokens: tree.tokens.slice(0, n), parents: tree.parents.slice(0, n) };
}

describe('scoring a tree level by level (pending rows reused)', () => {
  let model: Model;
  before(async () => (model = await engineModel('stories260K')));
  after(async () => model.dispose());

  it('growing a tree in three forwards gives the logits of one forward over the whole tree', async () => {
    const tree = randomTree(createRng(5), 30, 8, 512);
    const whole = await (await model.open(PROMPT)).score(tree);
    const grown = await model.open(PROMPT);
    await grown.score(EMPTY_TREE);
    await grown.score(firstNodes(tree, 7));
    const last = await grown.score(tree);
    for (let r = 0; r < whole.rows; r++) expect(maxAbsDiff(last.row(r), whole.row(r)), `row ${r}`).to.be.at.most(TOL);
  });

  it('a path whose deepest nodes were never scored is cached at the next score', async () => {
    const tree = randomTree(createRng(8), 20, 6, 512);
    const leaf = randomLeaf(createRng(9), tree);
    const path = pathTo(tree.parents, leaf);
    const partial = await model.open(PROMPT);
    await partial.score(firstNodes(tree, path[path.length - 1])); // the leaf (and maybe more) unscored
    await partial.score(firstNodes(tree, path[path.length - 1])); // same tree again: nothing recomputed
    partial.commit(path.slice(0, 0), tree.tokens[path[0]]);
    const full = await model.open(PROMPT);
    await full.score(tree);
    full.commit(path.slice(0, 0), tree.tokens[path[0]]);
    expect(partial.tokens).to.deep.equal(full.tokens);
    const a = await partial.score(EMPTY_TREE);
    const b = await full.score(EMPTY_TREE);
    expect(maxAbsDiff(a.row(0), b.row(0))).to.be.at.most(TOL);
  });

  it('a path whose leaf was never scored: commit the scored part, then append the leaf (as a draft model does)', async () => {
    const tree = randomTree(createRng(12), 25, 8, 512);
    const leaf = randomLeaf(createRng(13), tree);
    const path = pathTo(tree.parents, leaf);
    const seq = await model.open(PROMPT);
    await seq.score(firstNodes(tree, leaf)); // every path node but the leaf scored
    seq.commit(path.subarray(0, path.length - 1), tree.tokens[leaf]);
    seq.commit(new Int32Array(0), 77);
    expect(seq.committedLength).to.equal(PROMPT.length + path.length - 1); // prompt, then the path but its leaf
    const after = (await seq.score(EMPTY_TREE)).row(0);
    const inc = await model.open(PROMPT);
    for (const node of path) {
      await inc.score(EMPTY_TREE);
      inc.commit(new Int32Array(0), tree.tokens[node]);
    }
    await inc.score(EMPTY_TREE);
    inc.commit(new Int32Array(0), 77);
    expect(inc.tokens).to.deep.equal(seq.tokens);
    expect(seq.length).to.equal(seq.tokens.length);
    expect(maxAbsDiff((await inc.score(EMPTY_TREE)).row(0), after)).to.be.at.most(TOL);
  });

  it('commit without a score appends to the uncached tokens', async () => {
    const seq = await model.open(PROMPT);
    seq.commit(new Int32Array(0), 300);
    seq.commit(new Int32Array(0), 301);
    expect(seq.root).to.equal(301);
    expect(seq.committedLength).to.equal(PROMPT.length - 1);
    expect(seq.length).to.equal(PROMPT.length + 2); // uncached tokens count too
    const inc = await model.open(Int32Array.from([...PROMPT, 300, 301]));
    expect(maxAbsDiff((await seq.score(EMPTY_TREE)).row(0), (await inc.score(EMPTY_TREE)).row(0))).to.be.at.most(TOL);
    expect(() => seq.commit(Int32Array.from([5]), 1)).to.throw(/not a root-to-node path/);
  });

  it('refuses token ids outside the vocabulary, in the tree and in the uncached tokens', async () => {
    const seq = await model.open(PROMPT);
    const error = async (tree: TreeShape) =>
      seq.score(tree).then(
        () => null,
        (e: Error) => e.message,
      );
    expect(await error({ tokens: Int32Array.from([5, 512]), parents: Int32Array.from([-1, 0]) })).to.match(/token id 512 is outside the vocabulary 0\.\.511/);
    seq.commit(new Int32Array(0), 300);
    seq.commit(new Int32Array(0), -1);
    expect(await error(EMPTY_TREE)).to.match(/token id -1 is outside/);
    const rootOutside = await model.open(Int32Array.from([1, 999]));
    expect(
      await rootOutside.score(EMPTY_TREE).then(
        () => null,
        (e: Error) => e.message,
      ),
    ).to.match(/token id 999 is outside/);
  });
});
