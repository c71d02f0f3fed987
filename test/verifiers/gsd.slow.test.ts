/**
 * GSD's exactness: a draft that sees 3 tokens shares its distributions by
 * the last token only (context 1), so the q its trees are drawn from is not
 * the draft's own at merged rows. Verification must still be exact, since
 * every draw records the q it was drawn from: over many seeded decodes on a
 * 4-token vocabulary, the first three emitted tokens follow the target's
 * distribution (chi-square, pass iff p > 0.001), with MSS (i.i.d. children)
 * and RSD (children without replacement). Power check: recording the
 * draft's own q instead at merged rows (the mistake sharing invites) fails
 * the same test (p < 1e-6).
 */
import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import { gsdSpeculator } from '../../src/speculators/gsd.js';
import type { Speculator, SpeculatorSession } from '../../src/speculators/types.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';
import { createPolicy, policyConfig } from '../../src/tree/policies.js';
import { pathTo } from '../../src/tree/tree.js';
import { createVerifier, type VerifierKind } from '../../src/verifiers/index.js';
import { probabilities } from '../../src/sampling/transform.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import { NgramModel } from '../support/ngram-model.js';
import { chiSquareTest, describeChi, tally, type ChiSquareResult } from '../support/stats.js';

const VOCAB = 4;
const TOKENS = 3;
const TRIALS = 20000;
const PROMPT = Int32Array.of(0, 1, 2);
const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
const TARGET = new NgramModel(3, VOCAB, 1.5, 11);
const DRAFT = new NgramModel(3, VOCAB, 2.5, 5);

/** The target's distribution of the first TOKENS tokens after PROMPT, keyed by their base-VOCAB number. */
function exactSequences(): Map<number, number> {
  const out = new Map<number, number>();
  const walk = (context: number[], key: number, p: number, left: number): void => {
    if (left === 0) return void out.set(key, p);
    const q = probabilities(TARGET.logitsOf(context), T1);
    q.forEach((pt, t) => walk([...context, t], key * VOCAB + t, p * pt, left - 1));
  };
  walk(Array.from(PROMPT), 0, 1, TOKENS);
  return out;
}

/** The draft's own q at every row of a tree (what a wrong GSD would record). */
function ownQ(tree: DraftTree, history: readonly number[]): DraftTree {
  const qOf = (row: number): Float32Array => {
    const path = row === 0 ? [] : Array.from(pathTo(tree.parents, row - 1), (v) => tree.tokens[v]);
    return probabilities(DRAFT.logitsOf([...history, ...path]), T1, new Float32Array(VOCAB));
  };
  return {
    ...tree,
    draws: tree.draws.map((ds, row) => ds.map((d) => ({ ...d, q: qOf(row) }))),
    ...(tree.distinct ? { distinct: tree.distinct.map((ds, row) => ds.map((d) => ({ ...d, q: qOf(row) }))) } : {}),
  };
}

/** `inner` with every proposed tree's q replaced by the draft's own. */
function withOwnQ(inner: Speculator): Speculator {
  return {
    kind: 'gsd-own-q',
    treeTraits: (s) => inner.treeTraits(s),
    dispose: () => inner.dispose(),
    async begin(prompt) {
      const session = await inner.begin(prompt);
      const history = Array.from(prompt);
      const wrapped: SpeculatorSession = {
        propose: async (ctx) => ownQ(await session.propose(ctx), history),
        observe: async (o) => {
          history.push(...o.emitted);
          await session.observe(o);
        },
      };
      return wrapped;
    },
  };
}

async function trials(verifier: VerifierKind, wrong: boolean, seed: number): Promise<{ chi: ChiSquareResult; reused: number }> {
  const policy = createPolicy(policyConfig('static', { expansion: [2, 2, 2] }), { withoutReplacement: verifier === 'rsd' });
  const gsd = gsdSpeculator([DRAFT], policy, 1);
  const speculator = wrong ? withOwnQ(gsd) : gsd;
  const counts = new Map<number, number>();
  let reused = 0;
  for (let t = 0; t < TRIALS; t++) {
    const requests = [{ prompt: PROMPT, rng: createRng(seed * 1_000_003 + t) }];
    const r = await decodeSpeculative(TARGET, speculator, createVerifier(verifier), requests, { maxTokens: TOKENS, stopTokens: [], sampling: T1, maxNodes: 64 });
    tally(
      counts,
      r.outputs[0].tokens.reduce((k, x) => k * VOCAB + x, 0),
    );
    reused += r.records.reduce((s, rec) => s + (rec.draftReused ?? 0), 0);
  }
  return { chi: chiSquareTest(counts, exactSequences()), reused };
}

describe(`gsd (context 1, a 3-token draft): the first ${TOKENS} tokens follow the target (chi-square, ${TRIALS} decodes each)`, () => {
  const cases: [VerifierKind, number][] = [
    ['mss', 1],
    ['rsd', 2],
  ];
  for (const [verifier, seed] of cases) {
    it(`${verifier}, T=1, static <2,2,2>`, async () => {
      const { chi, reused } = await trials(verifier, false, seed);
      console.log(`      ${describeChi(chi)}; ${(reused / TRIALS).toFixed(2)} rows reused per decode`);
      expect(reused / TRIALS, 'rows shared').to.be.above(0.5);
      expect(chi.pValue, describeChi(chi)).to.be.above(0.001);
    });
    it(`power check (${verifier}): the draft's own q recorded at merged rows fails`, async () => {
      const { chi } = await trials(verifier, true, seed + 10);
      console.log(`      ${describeChi(chi)}`);
      expect(chi.pValue, describeChi(chi)).to.be.below(1e-6);
    });
  }
});
