import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import type { Model, Sequence } from '../../src/core/model.js';
import { EMPTY_TREE, pathTo } from '../../src/tree/tree.js';
import { type TreeShape } from '../../src/core/tree-shape.js';
import { engineModel } from '../support/engine-models.js';
import { maxAbsDiff, randomLeaf, randomTree } from '../support/random-tree.js';

const TOL = 1e-4;
const PROMPT = Int32Array.from([1, 203, 261, 297, 1, 50]); // BOS, a few tokens, a second BOS (ids < 300 fit the tiny random vocabulary)

/** Row-0 logits after decoding `path` one token at a time below the prompt. */
async function incrementalLogits(model: Model, prompt: Int32Array, tokens: number[]): Promise<Float32Array[]> {
  const seq = await model.open(prompt);
  const out: Float32Array[] = [(await seq.score(EMPTY_TREE)).row(0).slice()];
  for (const t of tokens) {
    seq.commit(new Int32Array(0), t);
    out.push((await seq.score(EMPTY_TREE)).row(0).slice());
  }
  return out;
}

function pathTokens(tree: TreeShape, node: number): number[] {
  return [...pathTo(tree.parents, node)].map((i) => tree.tokens[i]);
}

async function checkTree(model: Model, tree: TreeShape, seed: number): Promise<void> {
  const seq = await model.open(PROMPT);
  const logits = await seq.score(tree);
  const rows = Array.from({ length: logits.rows }, (_, i) => logits.row(i).slice());
  const root = (await incrementalLogits(model, PROMPT, []))[0];
  expect(maxAbsDiff(rows[0], root), 'root row').to.be.at.most(TOL);
  for (let i = 0; i < tree.tokens.length; i++) {
    const inc = await incrementalLogits(model, PROMPT, pathTokens(tree, i));
    expect(maxAbsDiff(rows[i + 1], inc[inc.length - 1]), `seed ${seed} node ${i}`).to.be.at.most(TOL);
  }
  // Commit a random root-to-leaf path: the next step equals token-by-token decoding of that path.
  const leaf = randomLeaf(createRng(seed + 1000), tree);
  const path = pathTo(tree.parents, leaf);
  const next = 7 + (seed % 50);
  seq.commit(path, next);
  expect(seq.committedLength).to.equal(PROMPT.length + path.length);
  const after = (await seq.score(EMPTY_TREE)).row(0);
  const inc = await incrementalLogits(model, PROMPT, [...pathTokens(tree, leaf), next]);
  expect(maxAbsDiff(after, inc[inc.length - 1]), `seed ${seed} after commit`).to.be.at.most(TOL);
}

for (const ref of ['stories260K', 'random:tiny:7']) {
  describe(`tree forward equals incremental decoding (${ref})`, () => {
    let model: Model;
    before(async () => (model = await engineModel(ref)));
    after(async () => model.dispose());

    for (const [seed, n, depth] of [
      [1, 1, 1],
      [2, 5, 3],
      [3, 16, 8],
      [4, 33, 8],
      [5, 64, 8],
      [6, 64, 2],
      [7, 12, 12],
    ]) {
      it(`random tree seed ${seed}: ${n} nodes, depth <= ${depth}`, async () => {
        const tree = randomTree(createRng(seed), n, Math.min(depth, 8), model.info.vocabSize);
        await checkTree(model, tree, seed);
      });
    }

    it('a chain tree of 8 commits in full like 8 incremental steps', async () => {
      const tokens = [280, 281, 282, 283, 284, 285, 286, 287];
      const seq: Sequence = await model.open(PROMPT);
      await seq.score({ tokens: Int32Array.from(tokens), parents: Int32Array.from(tokens, (_, i) => i - 1) });
      seq.commit(
        Int32Array.from(tokens, (_, i) => i),
        42,
      );
      const inc = await incrementalLogits(model, PROMPT, [...tokens, 42]);
      expect(maxAbsDiff((await seq.score(EMPTY_TREE)).row(0), inc[inc.length - 1])).to.be.at.most(TOL);
    });
  });
}
