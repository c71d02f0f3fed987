import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import { DraftModelSpeculator } from '../../src/speculators/draft-model.js';
import { gsdSpeculator } from '../../src/speculators/gsd.js';
import type { Speculator } from '../../src/speculators/types.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';
import { createPolicy, policyConfig } from '../../src/tree/policies.js';
import { createVerifier } from '../../src/verifiers/index.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import { NgramModel } from '../support/ngram-model.js';

const VOCAB = 6;
const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };

/** One proposal per prompt (same seeds), and the draft rows its session reports. */
async function proposeAll(s: Speculator, prompts: readonly number[][], sampling: SamplingParams): Promise<{ trees: DraftTree[]; rows: number; reused: number }> {
  const trees: DraftTree[] = [];
  let rows = 0;
  let reused = 0;
  for (const [i, p] of prompts.entries()) {
    const session = await s.begin(Int32Array.from(p));
    trees.push(await session.propose({ sampling, rng: createRng(i), maxNodes: 40, maxDepth: 100 }));
    const w = session.draftWork?.() ?? { rows: NaN, reused: NaN };
    rows += w.rows;
    reused += w.reused;
  }
  return { trees, rows, reused };
}

const PROMPTS = [[1, 3, 3, 3], [1, 4, 5], [1, 3, 4, 3, 4], [1]];
const STATIC = createPolicy(policyConfig('static', { expansion: [3, 2, 2, 1, 1] }));

describe('gsd speculator', () => {
  for (const sampling of [{ temperature: 0, topK: 0, topP: 1 }, T1]) {
    it(`a draft that sees only the last 2 tokens: the same trees (tokens, draws, q) as draft-model, fewer rows computed (T=${sampling.temperature})`, async () => {
      const plainModel = new NgramModel(2, VOCAB);
      const gsdModel = new NgramModel(2, VOCAB);
      const plain = await proposeAll(new DraftModelSpeculator([plainModel], STATIC), PROMPTS, sampling);
      const gsd = await proposeAll(gsdSpeculator([gsdModel], STATIC, 2), PROMPTS, sampling);
      expect(gsd.trees).to.deep.equal(plain.trees);
      expect(gsd.reused).to.be.above(0);
      expect(gsd.rows + gsd.reused).to.equal(plain.rows);
      expect([plainModel.rowsComputed, gsdModel.rowsComputed]).to.deep.equal([plain.rows, gsd.rows]);
    });
  }

  it('a draft that sees 3 tokens, context 1: rows ending in the same token draw from one q, rows ending in others from another', async () => {
    const { trees, reused } = await proposeAll(gsdSpeculator([new NgramModel(3, VOCAB)], STATIC, 1), PROMPTS, T1);
    expect(reused).to.be.above(0);
    for (const [i, t] of trees.entries()) {
      const qOf = new Map<number, string>();
      for (let row = 0; row <= t.tokens.length; row++) {
        const last = row === 0 ? PROMPTS[i][PROMPTS[i].length - 1] : t.tokens[row - 1];
        for (const d of t.draws[row]) {
          const q = Array.from(d.q as Float32Array).join(',');
          expect(qOf.get(last) ?? q, `prompt ${i} row ${row}`).to.equal(q);
          qOf.set(last, q);
        }
      }
      expect(new Set(qOf.values()).size, 'one q per last token').to.equal(qOf.size);
    }
  });

  it("decoding: each step records the draft rows computed (as the draft counted them) and shared; greedy output equals draft-model's", async () => {
    const target = new NgramModel(3, VOCAB, 1.5, 11);
    const draft = new NgramModel(3, VOCAB, 2, 5);
    const opts = { maxTokens: 40, stopTokens: [], sampling: { temperature: 0, topK: 0, topP: 1 }, maxNodes: 24 };
    const run = (s: Speculator) => decodeSpeculative(target, s, createVerifier('greedy'), [{ prompt: Int32Array.of(0, 1, 2), rng: createRng(1) }], opts);
    const plain = await run(new DraftModelSpeculator([new NgramModel(3, VOCAB, 2, 5)], STATIC));
    const { outputs, records } = await run(gsdSpeculator([draft], STATIC, 2));
    expect(Array.from(outputs[0].tokens)).to.deep.equal(Array.from(plain.outputs[0].tokens));
    expect(records.reduce((n, r) => n + (r.draftRows ?? NaN), 0)).to.equal(draft.rowsComputed);
    expect(records.reduce((n, r) => n + (r.draftReused ?? NaN), 0)).to.be.above(0);
    expect(plain.records.every((r) => r.draftReused === 0 && (r.draftRows ?? 0) > 0)).to.equal(true);
  });

  it('context below 1 is refused', () => {
    expect(() => gsdSpeculator([new NgramModel(2, VOCAB)], STATIC, 0)).to.throw(RangeError, 'context must be an integer >= 1, got 0');
  });
});
