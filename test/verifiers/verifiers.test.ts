/**
 * Hand-computed unit tables for the verifiers (SpecInfer Algorithm 2,
 * naive sampling, classic speculative sampling). Uniforms are scripted, so
 * each row of a table is one path through the algorithm.
 */
import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors.js';
import type { Logits } from '../../src/core/model.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';
import { residualInPlace } from '../../src/verifiers/common.js';
import { createVerifier } from '../../src/verifiers/index.js';
import { GREEDY, type SamplingParams } from '../../src/sampling/params.js';
import { type VerifyResult } from '../../src/verifiers/types.js';
import { f32, handTree, logitRows, probRows } from './hand.js';
import { scriptedRng } from './scripted-rng.js';

const T1: SamplingParams = { temperature: 1, topK: 0, topP: 1 };
const P = [0.5, 0.3, 0.2]; // P_llm at the root in most tables
const C = [0.1, 0.1, 0.8]; // P_llm after the first node
const D = [0.6, 0.2, 0.2]; // P_llm after the second node
const Q = f32(0.2, 0.5, 0.3); // P_ssm

interface Expected {
  readonly path: number[];
  readonly next: number;
  readonly kind: 'bonus' | 'recovered';
}

function expectResult(r: VerifyResult, e: Expected): void {
  expect({ path: Array.from(r.path), next: r.next, kind: r.nextKind }).to.deep.equal(e);
}

/** sup{x in [0, 1): f(x)} for f true below a threshold and false above it (bisection). */
function threshold(f: (x: number) => boolean): number {
  if (!f(0)) return 0;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Probability of each token under the inverse-CDF map u -> emit(u), measured at its boundaries. */
function massesOf(emit: (u: number) => number, vocab: number): number[] {
  const bounds = Array.from({ length: vocab }, (_, k) => threshold((u) => emit(u) <= k));
  return bounds.map((b, k) => (k === vocab - 1 ? 1 : b) - (k === 0 ? 0 : bounds[k - 1]));
}

describe('greedy verifier (VerifyGreedy)', () => {
  const greedy = createVerifier('greedy');
  // root -> node 0 (token 2) -> node 2 (token 1); root -> node 1 (token 3) -> node 3 (token 0)
  const tree = handTree([
    [2, -1],
    [3, -1],
    [1, 0],
    [0, 1],
  ]);
  const row = (best: number): number[] => [0, 1, 2, 3].map((t) => (t === best ? 5 : t === 3 - best ? 4 : 0));
  const table: [string, Logits, Expected][] = [
    ['accepts down to a leaf: bonus', logitRows(row(2), row(1), row(0), row(3), row(0)), { path: [0, 2], next: 3, kind: 'bonus' }],
    ['stops at an inner node: recovered', logitRows(row(2), row(0), row(0), row(3), row(0)), { path: [0], next: 0, kind: 'recovered' }],
    ['rejects at the root', logitRows(row(0), row(1), row(0), row(3), row(0)), { path: [], next: 0, kind: 'recovered' }],
    ['takes the other branch', logitRows(row(3), row(1), row(0), row(3), row(1)), { path: [1, 3], next: 1, kind: 'bonus' }],
    ['first maximum on ties', logitRows([0, 0, 5, 5], row(1), row(0), row(3), row(0)), { path: [0, 2], next: 3, kind: 'bonus' }],
  ];
  for (const [name, rows, e] of table) it(name, () => expectResult(greedy.verify(tree, rows, GREEDY, scriptedRng([])), e));

  it('emits a bonus token for an empty tree', () => {
    expectResult(greedy.verify(handTree([]), logitRows(row(1)), GREEDY, scriptedRng([])), { path: [], next: 1, kind: 'bonus' });
  });
  it('needs a target row per node', () => {
    expect(() => greedy.verify(tree, logitRows(row(1), row(1)), GREEDY, scriptedRng([]))).to.throw(RangeError, /needs 5 target rows, got 2/);
  });
});

describe('MSS verifier (VerifyStochastic) on hand cases', () => {
  const mss = createVerifier('mss');
  const one = (token: number, q: Float32Array | null): DraftTree => handTree([[token, -1]], [{ child: 0, q }]);
  // uniforms: [pick s, r, (emit)]
  const table: [string, DraftTree, Logits, number[], Expected][] = [
    // sampled draw of token 1: accept iff r < p(1) / q(1) = 0.3 / 0.5 = 0.6; residual max(0, p - q) = [0.3, 0, 0] -> [1, 0, 0]
    ['sampled draw, r just below 0.6: accepted, bonus from the child row', one(1, Q), probRows(P, C), [0, 0.5999, 0.95], { path: [0], next: 2, kind: 'bonus' }],
    ['sampled draw, r just above 0.6: residual [1, 0, 0]', one(1, Q), probRows(P, C), [0, 0.6001, 0.999], { path: [], next: 0, kind: 'recovered' }],
    // point mass on token 1: accept iff r < p(1) = 0.3; residual [0.5, 0, 0.2] / 0.7 = [5/7, 0, 2/7]
    ['point mass, r = 0.2999: accepted', one(1, null), probRows(P, C), [0, 0.2999, 0.05], { path: [0], next: 0, kind: 'bonus' }],
    ['point mass, r = 0.3001, u = 0.714: residual token 0', one(1, null), probRows(P, C), [0, 0.3001, 0.714], { path: [], next: 0, kind: 'recovered' }],
    ['point mass, r = 0.3001, u = 0.715: residual token 2', one(1, null), probRows(P, C), [0, 0.3001, 0.715], { path: [], next: 2, kind: 'recovered' }],
    // p(x) = 0 is never accepted, even at r = 0; residual max(0, p - q) = p
    ['p(x) = 0: rejected at r = 0', one(2, f32(0, 0, 1)), probRows([0.5, 0.5, 0], C), [0, 0, 0.6], { path: [], next: 1, kind: 'recovered' }],
  ];
  for (const [name, tree, rows, us, e] of table) {
    it(name, () => {
      const rng = scriptedRng(us);
      expectResult(mss.verify(tree, rows, T1, rng), e);
      expect(rng.used, 'uniforms used').to.equal(us.length);
    });
  }

  it('is exact for one sampled draw: sum over x ~ q of the measured accept/residual outcomes equals p', () => {
    const dist = [0, 0, 0];
    const accept: number[] = [];
    for (let x = 0; x < 3; x++) {
      const tree = one(x, Q);
      const acc = threshold((r) => mss.verify(tree, probRows(P, C), T1, scriptedRng([0, r, 0.5])).path.length === 1);
      const res = massesOf((u) => mss.verify(tree, probRows(P, C), T1, scriptedRng([0, 1 - 2 ** -40, u])).next, 3);
      accept.push(acc);
      dist[x] += Q[x] * acc;
      if (acc < 1 - 1e-9) res.forEach((m, y) => (dist[y] += Q[x] * (1 - acc) * m));
      if (acc < 1 - 1e-9) expect(res[0], `residual after rejecting ${x}`).to.be.closeTo(1, 1e-6);
    }
    accept.forEach((a, x) => expect(a, `P(accept ${x})`).to.be.closeTo([1, 0.6, 2 / 3][x], 1e-6));
    dist.forEach((m, y) => expect(m, `P(emit ${y})`).to.be.closeTo(P[y], 1e-6));
  });

  it('tests two draws of one token separately: the second updates the residual again', () => {
    // p = [0.3, 0.2, 0.5], q = [0.2, 0.6, 0.2], two draws of token 1 (one node).
    // 1st: accept iff r < 1/3; residual [0.1, 0, 0.3] -> [0.25, 0, 0.75].
    // 2nd: p'(1) = 0, rejected; residual max(0, [0.25, 0, 0.75] - q) = [0.05, 0, 0.55] -> [1/12, 0, 11/12].
    const q = f32(0.2, 0.6, 0.2);
    const tree = handTree(
      [[1, -1]],
      [
        { child: 0, q },
        { child: 0, q },
      ],
    );
    const rows = probRows([0.3, 0.2, 0.5], C);
    expectResult(mss.verify(tree, rows, T1, scriptedRng([0, 0.33, 0.5])), { path: [0], next: 2, kind: 'bonus' });
    const emit = (u: number): number => mss.verify(tree, rows, T1, scriptedRng([0, 0.34, 0, 0, u])).next;
    const masses = massesOf(emit, 3);
    [1 / 12, 0, 11 / 12].forEach((m, y) => expect(masses[y], `residual mass of ${y}`).to.be.closeTo(m, 1e-6));
  });

  it('picks s uniformly from H and moves on to the next draw after a rejection', () => {
    // point masses on token 2 (node 0) and token 0 (node 1); p = [0.5, 0.3, 0.2]
    const tree = handTree([
      [2, -1],
      [0, -1],
    ]);
    const rows = probRows(P, C, D);
    // pick H[0] (token 2): r = 0.25 >= 0.2 rejects; residual [0.625, 0.375, 0]; token 0: r = 0.6 < 0.625 accepts
    expectResult(mss.verify(tree, rows, T1, scriptedRng([0.25, 0.25, 0, 0.6, 0.7])), { path: [1], next: 1, kind: 'bonus' });
    // pick H[1] (token 0): r = 0.55 >= 0.5 rejects; residual [0, 0.6, 0.4]; token 2: r = 0.39 < 0.4 accepts
    expectResult(mss.verify(tree, rows, T1, scriptedRng([0.75, 0.55, 0, 0.39, 0.5])), { path: [0], next: 2, kind: 'bonus' });
    // both rejected: residual [0, 1, 0]
    expectResult(mss.verify(tree, rows, T1, scriptedRng([0.75, 0.55, 0, 0.41, 0.01])), { path: [], next: 1, kind: 'recovered' });
  });

  it('starts afresh from P_llm at an accepted child, and labels the last token recovered at an inner node', () => {
    const tree = handTree([
      [1, -1],
      [2, 0],
    ]); // chain 1 -> 2, point masses
    // accept token 1 (r < 0.3), then reject token 2 at the child (r >= C(2) = 0.8): residual [0.5, 0.5, 0]
    expectResult(mss.verify(tree, probRows(P, C, D), T1, scriptedRng([0, 0.1, 0, 0.85, 0.6])), { path: [0], next: 1, kind: 'recovered' });
  });

  it('falls back to p when the residual has no mass (p == q up to float32 rounding)', () => {
    const p = Float64Array.of(0.5, 0.3, 0.2);
    expect(Array.from(residualInPlace(p, 1, f32(0.5, 0.3, 0.2)))).to.deep.equal([0.5, 0.3, 0.2]);
    expect(Array.from(residualInPlace(Float64Array.of(0, 1, 0), 1, null))).to.deep.equal([0, 1, 0]);
    const tree = handTree([[1, -1]], [{ child: 0, q: f32(...P) }]);
    const r = mss.verify(tree, probRows(P, C), T1, scriptedRng([0, 1 - 2 ** -53, 0.9]));
    expect(r.path.length === 1 || r.next === 2, 'accepted, or sampled from p itself').to.equal(true);
  });

  it('refuses a tree whose node has no draw', () => {
    const tree = handTree(
      [
        [1, -1],
        [2, -1],
      ],
      [{ child: 0, q: null }],
    );
    expect(() => mss.verify(tree, probRows(P, C, D), T1, scriptedRng([0, 0.9, 0.5]))).to.throw(RangeError, /node 1 \(token 2\) has no draw in row 0/);
  });
});

describe('NS verifier (naive sampling)', () => {
  const ns = createVerifier('ns');
  const tree = handTree([
    [1, -1],
    [2, 0],
  ]);
  const rows = probRows(P, C, D);
  const table: [string, number[], Expected][] = [
    ['x = 0 is no child: recovered', [0.4], { path: [], next: 0, kind: 'recovered' }],
    ['x = 1 accepted, then x = 1 is no child of node 0', [0.6, 0.15], { path: [0], next: 1, kind: 'recovered' }],
    ['accepted to the leaf, then a bonus token', [0.6, 0.5, 0.7], { path: [0, 1], next: 1, kind: 'bonus' }],
  ];
  for (const [name, us, e] of table) it(name, () => expectResult(ns.verify(tree, rows, T1, scriptedRng(us)), e));
});

describe('sequence verifier (classic speculative sampling on chains)', () => {
  const seq = createVerifier('sequence');
  // chain: node 0 = token 1 sampled from Q (ratio 0.6), node 1 = token 2 as a point mass (ratio C(2) = 0.8)
  const tree = handTree(
    [
      [1, -1],
      [2, 0],
    ],
    [
      { child: 0, q: Q },
      { child: 1, q: null },
    ],
  );
  const rows = probRows(P, C, D);
  const table: [string, number[], Expected][] = [
    ['all accepted: bonus from the last node', [0.59, 0.79, 0.7], { path: [0, 1], next: 1, kind: 'bonus' }],
    ['first rejected: from norm(max(0, p - q)) = [1, 0, 0]', [0.61, 0.99], { path: [], next: 0, kind: 'recovered' }],
    ['second rejected: residual [0.5, 0.5, 0], u = 0.49', [0.5, 0.81, 0.49], { path: [0], next: 0, kind: 'recovered' }],
    ['second rejected: residual [0.5, 0.5, 0], u = 0.51', [0.5, 0.81, 0.51], { path: [0], next: 1, kind: 'recovered' }],
  ];
  for (const [name, us, e] of table) it(name, () => expectResult(seq.verify(tree, rows, T1, scriptedRng(us)), e));

  it('refuses a tree that is not a chain, naming where', () => {
    const wide = handTree([
      [1, -1],
      [2, -1],
    ]);
    expect(() => seq.verify(wide, rows, T1, scriptedRng([0.5, 0.5]))).to.throw(ConfigError, /needs a chain.*the root has 2 children and 2 draws.*'mss'/);
    const twice = handTree(
      [
        [1, -1],
        [2, 0],
      ],
      [
        { child: 0, q: Q },
        { child: 1, q: Q },
        { child: 1, q: Q },
      ],
    );
    expect(() => seq.verify(twice, rows, T1, scriptedRng([0.5, 0.5]))).to.throw(ConfigError, /node 0 has 1 children and 2 draws/);
  });
});
