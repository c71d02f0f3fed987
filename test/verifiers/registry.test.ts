import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import type { TreeTraits } from '../../src/tree/draft-tree.js';
import { createVerifier, treeTraits, VERIFIER_KINDS, type VerifierKind } from '../../src/verifiers/index.js';
import { GREEDY, type SamplingParams } from '../../src/sampling/params.js';
import { f32, handTree } from './hand.js';
import { buildTree, makeWorld, treeLogits, type ProposerSpec } from './synthetic.js';

const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };

describe('verifier registry', () => {
  it('creates every kind', () => {
    expect([...VERIFIER_KINDS]).to.deep.equal(['greedy', 'mss', 'ns', 'rsd', 'sequence']);
    for (const kind of VERIFIER_KINDS) expect(createVerifier(kind).kind).to.equal(kind);
  });
  it('names the kinds for an unknown one', () => {
    expect(() => createVerifier('beam' as VerifierKind)).to.throw(ConfigError, /unknown verifier 'beam'; expected one of greedy, mss, ns, rsd, sequence/);
  });
});

describe('treeTraits()', () => {
  const q = f32(0.5, 0.5);
  const table: [string, ReturnType<typeof handTree>, TreeTraits][] = [
    ['empty tree', handTree([]), { children: 'none', chain: true }],
    [
      'chain of point masses',
      handTree([
        [1, -1],
        [0, 0],
      ]),
      { children: 'deterministic', chain: true },
    ],
    [
      'sampled chain',
      handTree(
        [
          [1, -1],
          [0, 0],
        ],
        [
          { child: 0, q },
          { child: 1, q },
        ],
      ),
      { children: 'sampled', chain: true },
    ],
    [
      'two children, mixed',
      handTree(
        [
          [1, -1],
          [0, -1],
        ],
        [
          { child: 0, q },
          { child: 1, q: null },
        ],
      ),
      { children: 'mixed', chain: false },
    ],
    [
      'one node drawn twice is not a chain',
      handTree(
        [[1, -1]],
        [
          { child: 0, q },
          { child: 0, q },
        ],
      ),
      { children: 'sampled', chain: false },
    ],
  ];
  for (const [name, tree, traits] of table) it(name, () => expect(treeTraits(tree)).to.deep.equal(traits));
});

describe('exactFor()', () => {
  const kinds: TreeTraits['children'][] = ['sampled', 'deterministic', 'mixed', 'none'];
  const table: [VerifierKind, boolean, SamplingParams, boolean][] = [
    ['greedy', false, GREEDY, true],
    ['greedy', true, T1, false],
    ['mss', false, T1, true],
    ['mss', true, GREEDY, true],
    ['ns', false, T1, true],
    ['sequence', true, T1, true],
    ['sequence', false, T1, false],
  ];
  for (const [kind, chain, sampling, exact] of table) {
    it(`${kind} on ${chain ? 'chains' : 'trees'} at temperature ${sampling.temperature}: ${exact ? 'exact' : 'inexact'} for every kind of children`, () => {
      for (const children of kinds) expect(createVerifier(kind).exactFor({ children, chain }, sampling), children).to.equal(exact);
    });
  }
});

describe('verifiers: determinism and temperature 0', () => {
  const world = makeWorld(11, 8, 1.5, [0.8, 1.5]);
  const specs: ProposerSpec[] = [
    { draft: 0, mode: 'sampled', widths: [3, 2, 1] },
    { draft: 1, mode: 'topk', widths: [2, 1] },
  ];

  it('same seed, same results; another seed, other results', () => {
    const runs = (seed: number): string =>
      [0, 1, 2]
        .map((kind) => {
          const v = createVerifier((['mss', 'ns', 'sequence'] as const)[kind]);
          const chainSpecs: ProposerSpec[] = kind === 2 ? [{ draft: 0, mode: 'sampled', widths: [1, 1, 1] }] : specs;
          const treeRng = createRng(seed);
          const rng = createRng(seed).fork('verify');
          const out: string[] = [];
          for (let t = 0; t < 200; t++) {
            const tree = buildTree(world, t % 8, chainSpecs, T1, treeRng);
            const r = v.verify(tree, treeLogits(world, t % 8, tree), T1, rng);
            out.push(`${r.path.join('.')}:${r.next}`);
          }
          return out.join(' ');
        })
        .join('|');
    expect(runs(5)).to.equal(runs(5));
    expect(runs(5)).to.not.equal(runs(6));
  });

  it('at temperature 0, mss, ns and sequence give exactly greedy verification', () => {
    const rng = createRng(3);
    const greedy = createVerifier('greedy');
    for (let t = 0; t < 300; t++) {
      const chain = t % 3 === 0;
      const s: ProposerSpec[] = chain ? [{ draft: 0, mode: 'sampled', widths: [1, 1, 1] }] : specs;
      const tree = buildTree(world, t % 8, s, GREEDY, rng);
      const logits = treeLogits(world, t % 8, tree);
      const want = greedy.verify(tree, logits, GREEDY, rng);
      for (const kind of chain ? (['mss', 'ns', 'sequence'] as const) : (['mss', 'ns'] as const)) {
        const got = createVerifier(kind).verify(tree, logits, GREEDY, rng);
        expect({ path: Array.from(got.path), next: got.next, kind: got.nextKind }, `${kind}, trial ${t}`).to.deep.equal({
          path: Array.from(want.path),
          next: want.next,
          kind: want.nextKind,
        });
      }
    }
  });
});
