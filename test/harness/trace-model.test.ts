/**
 * TraceModel: a recorded greedy trace as the target. Hand-made trees over a
 * 10-token vocabulary; prompt [1, 4], trace 5 6 2 7 8 (2 = EOS), context 6
 * (so the trace's last token is the one predicted at the context's end).
 */
import { expect } from 'chai';
import type { Logits } from '../../src/core/model.js';
import { createRng } from '../../src/core/rng.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import type { TraceEntry } from '../../src/harness/trace.js';
import { TraceModel } from '../../src/harness/trace-model.js';
import type { Speculator } from '../../src/speculators/types.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';
import { chainTree, EMPTY_TREE, treeDepths } from '../../src/tree/tree.js';
import { GREEDY, GreedyVerifier } from '../../src/verifiers/index.js';

const VOCAB = 10;
const INFO = { id: 'trace', vocabSize: VOCAB, maxContext: 6, bosId: 1, eosIds: [2] };
const STOP = [1, 2];

function entry(tokens: number[], prompt = [1, 4]): TraceEntry {
  return { target: 'trace', workload: 'w', prompt: 'p', promptTokens: prompt, tokens, stopTokens: STOP, maxContext: 6 };
}

/** Each row as its one-hot token, or null for a zero row. */
function hot(logits: Logits): (number | null)[] {
  return Array.from({ length: logits.rows }, (_, i) => {
    const r = Array.from(logits.row(i));
    expect(r).to.have.length(VOCAB);
    const ones = r.flatMap((v, t) => (v === 1 ? [t] : []));
    expect(r.filter((v) => v !== 0 && v !== 1)).to.deep.equal([]);
    expect(ones.length).to.be.at.most(1);
    return ones.length === 1 ? ones[0] : null;
  });
}

/** A speculator that proposes, each step, the chain `want` continues with from the output so far (cut at maxDepth). */
function chainSpeculator(want: number[]): Speculator {
  return {
    kind: 'chain',
    treeTraits: () => ({ children: 'deterministic', chain: true }),
    dispose: async () => undefined,
    begin: async () => {
      let at = 0;
      return {
        propose: async ({ maxDepth }) => {
          const shape = chainTree(want.slice(at, at + maxDepth));
          const n = shape.tokens.length;
          const draws = Array.from({ length: n + 1 }, (_, row) => (row < n ? [{ child: row, proposer: 0, q: null }] : []));
          const tree: DraftTree = { ...shape, depths: treeDepths(shape.parents), proposerIds: ['chain'], proposedBy: new Uint32Array(n).fill(1), draws };
          return tree;
        },
        observe: async ({ emitted }) => void (at += emitted.length),
      };
    },
  };
}

describe('TraceModel', () => {
  // Nodes: 0:5 (root child, on the trace), 1:9 (off), 2:6 below 0 (on), 3:3 below 0 (off), 4:2 below 2 (on), 5:5 below 1 (below an off node).
  const tree = { tokens: Int32Array.from([5, 9, 6, 3, 2, 5]), parents: Int32Array.from([-1, -1, 0, 0, 2, 1]) };

  it('rows along the trace are one-hot at its next token; rows off it are zero', async () => {
    const seq = await new TraceModel(INFO, [entry([5, 6, 2, 7, 8])]).open(Int32Array.from([1, 4]));
    expect(hot(await seq.score(tree))).to.deep.equal([5, 6, null, 2, null, 7, null]);
  });

  it('commit() advances along the trace; a token off it leaves every later row zero', async () => {
    const seq = await new TraceModel(INFO, [entry([5, 6, 2, 7, 8])]).open(Int32Array.from([1, 4]));
    expect([seq.committedLength, seq.root, seq.length]).to.deep.equal([1, 4, 2]);
    await seq.score(tree);
    seq.commit(Int32Array.from([0, 2]), 2);
    expect([seq.tokens, seq.committedLength, seq.root, seq.length]).to.deep.equal([[1, 4, 5, 6, 2], 4, 2, 5]);
    expect(hot(await seq.score(EMPTY_TREE))).to.deep.equal([7]);
    seq.commit(new Int32Array(0), 9);
    expect(hot(await seq.score(EMPTY_TREE))).to.deep.equal([null]);
  });

  it('scoreBatch gives each sequence its own score(); a prompt the trace lacks is an error', async () => {
    const model = new TraceModel(INFO, [entry([5, 6, 2, 7, 8]), entry([3, 3, 3, 3], [1, 7])]);
    const seqs = [await model.open(Int32Array.from([1, 7])), await model.open(Int32Array.from([1, 4]))];
    const got = await model.scoreBatch(seqs, [chainTree([3]), chainTree([5, 6])]);
    expect(got.map(hot)).to.deep.equal([
      [3, 3],
      [5, 6, 2],
    ]);
    await model.open(Int32Array.from([1, 5])).then(
      () => expect.fail('no entry for this prompt'),
      (e: Error) => expect(e.message).to.equal('the trace of target trace has no entry for a prompt of 2 tokens [1, 5, ...]'),
    );
    expect(() => new TraceModel({ ...INFO, maxContext: 8 }, [entry([5])])).to.throw("trace entry w/p has context 6, not the target's 8");
  });

  it("at the context's end: the row of the last position is the trace's last token; deeper trees and short traces are errors", async () => {
    const seq = await new TraceModel(INFO, [entry([5, 6, 2, 7, 8])]).open(Int32Array.from([1, 4]));
    // 2 tokens + depth 4 = the context of 6: the deepest row predicts position 6.
    expect(hot(await seq.score(chainTree([5, 6, 2, 7])))).to.deep.equal([5, 6, 2, 7, 8]);
    await seq.score(chainTree([5, 6, 2, 7, 8])).then(
      () => expect.fail('past the context'),
      (e: Error) => expect(e.message).to.equal('trace model: context full: 2 tokens + a tree of depth 5 exceed the context of 6'),
    );
    const short = await new TraceModel(INFO, [entry([5, 6])]).open(Int32Array.from([1, 4]));
    const logits = await short.score(chainTree([5, 6]));
    expect(hot({ ...logits, rows: 2 })).to.deep.equal([5, 6]);
    expect(() => logits.row(2)).to.throw(/^the trace of w\/p ends \(after 2 tokens\) before the tree does; record it again with `specinfer trace`/);
  });

  describe('in the decoding loop (greedy verification)', () => {
    const decode = (tokens: number[], want: number[], maxTokens = 10) =>
      decodeSpeculative(new TraceModel(INFO, [entry(tokens)]), chainSpeculator(want), new GreedyVerifier(), [{ prompt: Int32Array.from([1, 4]), rng: createRng(1) }], {
        maxTokens,
        stopTokens: STOP,
        sampling: GREEDY,
        maxNodes: 8,
      });

    it('stops at a stop token of the trace, even when the tree runs past it', async () => {
      const { outputs, records } = await decode([5, 6, 2, 7, 8], [5, 6, 2, 7]);
      expect(outputs).to.deep.equal([{ tokens: Int32Array.from([5, 6]), stop: 'eos' }]);
      expect(records.map((r) => [r.accepted, r.emitted, r.nextKind, r.stop])).to.deep.equal([[4, 3, 'bonus', 'eos']]);
    });

    it('a wrong draft token is replaced by the trace token; the output is the trace up to the context', async () => {
      const { outputs, records } = await decode([5, 6, 3, 7, 8], [5, 9, 3, 7, 8]);
      expect(outputs).to.deep.equal([{ tokens: Int32Array.from([5, 6, 3, 7, 8]), stop: 'context' }]);
      expect(records.map((r) => [r.accepted, r.emitted, r.nextKind])).to.deep.equal([
        [1, 2, 'recovered'],
        [2, 3, 'bonus'],
      ]);
    });

    it('without a tree (incremental) the output stops one token earlier, at a full context', async () => {
      const { outputs } = await decode([5, 6, 3, 7, 8], []);
      expect(outputs).to.deep.equal([{ tokens: Int32Array.from([5, 6, 3, 7]), stop: 'context' }]);
    });
  });
});
