/**
 * The verifiers on a real 512-token distribution: stories260K's next token
 * after a fixed prompt (entropy ~2 nats; after "Once upon a time" alone the
 * next token is "," with p = 0.97, too easy), drafts from stories260K-ssm-s. Trees are
 * one level deep (every node's target row is then known exactly): 4 draws
 * sampled from the draft's q, merged with the draft's top-2 as point masses.
 * The first emitted token must follow the target's distribution, for a
 * float32 pair and for a q4_0 target with a q8_0 draft (quantized at load,
 * accuracy_level 4: exactness holds for whatever logits the target returns).
 */
import { expect } from 'chai';
import type { Logits, Model } from '../../src/core/model.js';
import { createRng } from '../../src/core/rng.js';
import type { Rng } from '../../src/core/types.js';
import { loadModel } from '../../src/model/models.js';
import type { Draw, DraftTree } from '../../src/tree/draft-tree.js';
import { EMPTY_TREE, treeDepths } from '../../src/tree/tree.js';
import { createVerifier } from '../../src/verifiers/index.js';
import { probabilities, sampleFrom } from '../../src/sampling/transform.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import type { WeightsType } from '../../src/model/formats/quant.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { chiSquareTest, describeChi, tally } from '../support/stats.js';

const TRIALS = 20000;

/** The root's logits and the logits after each possible next token (one forward over a star of all tokens). */
async function rootAndChildren(model: Model, prompt: Int32Array): Promise<{ root: Float32Array; after: Float32Array[] }> {
  const seq = await model.open(prompt);
  const vocab = model.info.vocabSize;
  const star = { tokens: Int32Array.from({ length: vocab }, (_, t) => t), parents: new Int32Array(vocab).fill(-1) };
  const logits = await seq.score(star);
  return { root: logits.row(0).slice(), after: Array.from({ length: vocab }, (_, t) => logits.row(t + 1).slice()) };
}

/** Draws 4 tokens from q (with replacement) and adds `top` (q's top-2) as point masses, merged into one level. */
function oneLevelTree(q: Float32Array, top: readonly number[], rng: Rng, lossy = false): DraftTree {
  const tokens: number[] = [];
  const draws: Draw[] = [];
  const nodeOf = (x: number): number => {
    const i = tokens.indexOf(x);
    if (i >= 0) return i;
    tokens.push(x);
    return tokens.length - 1;
  };
  for (let k = 0; k < 4; k++) draws.push({ child: nodeOf(sampleFrom(q, rng)), proposer: 0, q });
  for (const x of top) draws.push({ child: nodeOf(x), proposer: 1, q: lossy ? q : null }); // lossy: a wrong declaration
  const parents = new Int32Array(tokens.length).fill(-1);
  const proposedBy = Uint32Array.from(tokens, (_, i) => draws.reduce((m, d) => (d.child === i ? m | (1 << d.proposer) : m), 0));
  return {
    tokens: Int32Array.from(tokens),
    parents,
    depths: treeDepths(parents),
    proposerIds: ['stories260K-ssm-s:sampled', 'stories260K-ssm-s:top2'],
    proposedBy,
    draws: [draws, ...tokens.map(() => [])],
  };
}

interface Rows {
  readonly target: { root: Float32Array; after: Float32Array[] };
  readonly draftRoot: Float32Array;
}

const PAIRS: readonly { readonly target: WeightsType; readonly draft: WeightsType }[] = [
  { target: 'f32', draft: 'f32' },
  { target: 'q4_0', draft: 'q8_0' },
];

for (const pair of PAIRS)
  describe(`verifiers on stories260K (${pair.target}, draft ${pair.draft}): the first emitted token follows the target (chi-square)`, () => {
    const PROMPTS = ['Once upon a time, there was a', 'The little bird was sad because'];
    const rows = new Map<string, Rows>();

    before(async () => {
      useTestModelsDir();
      const tok = (await loadModel('stories260K')).tokenizer;
      const t = await engineModel('stories260K', {}, pair.target);
      const d = await engineModel('stories260K-ssm-s', {}, pair.draft);
      try {
        for (const text of PROMPTS) {
          const prompt = tok.encode(text, { bos: true });
          const target = await rootAndChildren(t, prompt);
          const draftRoot = (await (await d.open(prompt)).score(EMPTY_TREE)).row(0).slice();
          rows.set(text, { target, draftRoot });
        }
      } finally {
        await t.dispose();
        await d.dispose();
      }
    });

    const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
    const cases: [string, 'mss' | 'ns', SamplingParams, boolean][] = [
      [PROMPTS[0], 'mss', T1, false],
      [PROMPTS[0], 'ns', T1, false],
      [PROMPTS[1], 'mss', T1, false],
      [PROMPTS[1], 'mss', { temperature: 0.8, topK: 0, topP: 0.95 }, false],
      [PROMPTS[1], 'mss', T1, true],
    ];
    cases.forEach(([text, kind, s, lossy], i) => {
      const name = lossy
        ? `power check: mss with the top-2 declared with the draft's q fails (after "${text}")`
        : `${kind} after "${text}", temperature ${s.temperature}, top-p ${s.topP}`;
      it(name, () => {
        const { target, draftRoot } = rows.get(text) as Rows;
        const verifier = createVerifier(kind);
        const q = probabilities(draftRoot, s, new Float32Array(draftRoot.length));
        const top = [...q.keys()].sort((a, b) => q[b] - q[a] || a - b).slice(0, 2);
        const exact = probabilities(target.root, s);
        const treeRng = createRng(500 + i);
        const rng = createRng(500 + i).fork('verify');
        const first = new Map<number, number>();
        let accepted = 0;
        const t0 = performance.now();
        for (let trial = 0; trial < TRIALS; trial++) {
          const tree = oneLevelTree(q, top, treeRng, lossy);
          const logits: Logits = { rows: tree.tokens.length + 1, vocabSize: q.length, row: (r) => (r === 0 ? target.root : target.after[tree.tokens[r - 1]]) };
          const res = verifier.verify(tree, logits, s, rng);
          tally(first, res.path.length > 0 ? tree.tokens[res.path[0]] : res.next);
          accepted += res.path.length;
        }
        const chi = chiSquareTest(first, new Map([...exact.entries()]));
        console.log(`      ${describeChi(chi)}; accepted ${(accepted / TRIALS).toFixed(3)} per step; ${(performance.now() - t0).toFixed(0)} ms`);
        if (lossy) expect(chi.pValue, describeChi(chi)).to.be.below(1e-6);
        else expect(chi.pValue, describeChi(chi)).to.be.above(0.001);
      });
    });
  });
