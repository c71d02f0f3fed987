import { expect } from 'chai';
import { ScoreCoalescer } from '../../src/engine/coalesce.js';
import type { Model } from '../../src/core/model.js';
import { createRng } from '../../src/core/rng.js';
import { EngineModel } from '../../src/engine/model.js';
import { EMPTY_TREE } from '../../src/tree/tree.js';
import { type TreeShape } from '../../src/core/tree-shape.js';
import { engineModel } from '../support/engine-models.js';
import { maxAbsDiff, randomTree } from '../support/random-tree.js';

/** A scorer that records its batches and answers `seq:tree` strings. */
function recordingScorer(fail?: string) {
  const batches: string[][] = [];
  const scorer = async (seqs: readonly string[], trees: readonly number[]): Promise<string[]> => {
    batches.push(seqs.map((s, i) => `${s}:${trees[i]}`));
    await new Promise((r) => setImmediate(r));
    if (fail !== undefined && seqs.includes(fail)) throw new Error(`bad tree for ${fail}`);
    return seqs.map((s, i) => `${s}:${trees[i]}`);
  };
  return { batches, coalescer: new ScoreCoalescer<string, number, string>(scorer) };
}

describe('ScoreCoalescer: score() calls of one event-loop turn share a forward', () => {
  it('batches concurrent calls of different sequences and answers each its own row', async () => {
    const { batches, coalescer } = recordingScorer();
    const out = await Promise.all(['a', 'b', 'c'].map((s, i) => coalescer.score(s, i)));
    expect(out).to.deep.equal(['a:0', 'b:1', 'c:2']);
    expect(batches).to.deep.equal([['a:0', 'b:1', 'c:2']]);
  });

  it('keeps callers that grow level by level in lockstep: one forward per level', async () => {
    const { batches, coalescer } = recordingScorer();
    const grow = async (s: string) => {
      for (let level = 0; level < 3; level++) await coalescer.score(s, level);
    };
    await Promise.all([grow('a'), grow('b')]);
    expect(batches).to.deep.equal([
      ['a:0', 'b:0'],
      ['a:1', 'b:1'],
      ['a:2', 'b:2'],
    ]);
  });

  it('puts a second call for the same sequence into the next forward, in order', async () => {
    const { batches, coalescer } = recordingScorer();
    const out = await Promise.all([coalescer.score('a', 1), coalescer.score('b', 1), coalescer.score('a', 2)]);
    expect(out).to.deep.equal(['a:1', 'b:1', 'a:2']);
    expect(batches).to.deep.equal([['a:1', 'b:1'], ['a:2']]);
  });

  it('rejects every call of a failed forward with its error, and keeps serving', async () => {
    const { coalescer } = recordingScorer('b');
    const results = await Promise.allSettled([coalescer.score('a', 0), coalescer.score('b', 0)]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).to.match(/bad tree for b/);
    expect(await coalescer.score('a', 1)).to.equal('a:1');
  });
});

describe('engine: concurrent score() calls of several sequences', () => {
  let model: EngineModel;
  before(async () => (model = await engineModel('stories260K')));
  after(async () => model.dispose());

  /** Each sequence scores three nested trees (levels), concurrently or one sequence after the other. */
  async function levels(m: Model, concurrent: boolean, opened = () => {}): Promise<Float32Array[][]> {
    const prompts = [
      [1, 400, 401],
      [1, 7],
      [1, 300, 301, 302, 303],
    ].map((p) => Int32Array.from(p));
    const seqs = await Promise.all(prompts.map((p) => m.open(p)));
    opened();
    const trees: TreeShape[] = [EMPTY_TREE, randomTree(createRng(3), 4, 2, 512), randomTree(createRng(4), 9, 4, 512)];
    const run = async (b: number) => {
      const rows: Float32Array[] = [];
      for (const t of trees) {
        const l = await seqs[b].score(t);
        for (let r = 0; r < l.rows; r++) rows.push(l.row(r).slice());
      }
      return rows;
    };
    if (concurrent) return Promise.all(seqs.map((_, b) => run(b)));
    const out: Float32Array[][] = [];
    for (let b = 0; b < seqs.length; b++) out.push(await run(b));
    return out;
  }

  it('run as one forward per level and give the logits of scoring each alone', async () => {
    const alone = await levels(model, false);
    const together = await levels(model, true, () => model.resetTimings());
    expect(model.timings.forwards).to.equal(3);
    together.forEach((rows, b) => rows.forEach((row, r) => expect(maxAbsDiff(row, alone[b][r]), `sequence ${b} row ${r}`).to.be.at.most(1e-4)));
  });
});
