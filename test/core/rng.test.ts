import { expect } from 'chai';
import { createRng, normal, Xoshiro128 } from '../../src/core/rng.js';
import type { Rng } from '../../src/core/types.js';

function draw(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.uniform());
}

describe('rng (xoshiro128**)', () => {
  it('matches the reference C xoshiro128** from state {1, 2, 3, 4}', () => {
    // Values from Blackman & Vigna's xoshiro128starstar.c compiled with gcc.
    const g = Xoshiro128.fromState(1, 2, 3, 4);
    const got = Array.from({ length: 8 }, () => g.nextUint32());
    expect(got).to.deep.equal([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });

  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    expect(draw(createRng(42), 20)).to.deep.equal(draw(createRng(42), 20));
    const seeds = [0, 1, 2, -1, 2 ** 32, 2 ** 40, 2 ** 40 + 1];
    const firsts = seeds.map((s) => createRng(s).uniform());
    expect(new Set(firsts).size).to.equal(seeds.length);
  });

  it('draws uniform values in [0, 1) with mean ~1/2 and variance ~1/12', () => {
    const rng = createRng(7);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).to.equal(true);
      sum += u;
      sq += u * u;
    }
    const mean = sum / n;
    expect(mean).to.be.closeTo(0.5, 0.005); // sd of the mean ~0.00065
    expect(sq / n - mean * mean).to.be.closeTo(1 / 12, 0.002);
  });

  it('forks: reproducible, independent of the parent draws, distinct per name', () => {
    const a = createRng(5);
    const b = createRng(5);
    draw(b, 100); // advancing the parent must not change its forks
    expect(draw(a.fork('x'), 10)).to.deep.equal(draw(b.fork('x'), 10));
    const parent = draw(createRng(5), 10);
    const x = draw(a.fork('x'), 10);
    const y = draw(a.fork('y'), 10);
    const xx = draw(a.fork('x').fork('x'), 10);
    const otherSeed = draw(createRng(6).fork('x'), 10);
    for (const s of [parent, y, xx, otherSeed]) expect(s).to.not.deep.equal(x);
    expect(draw(a.fork('ü'), 5)).to.deep.equal(draw(createRng(5).fork('ü'), 5));
  });

  it('forked streams are uncorrelated (sample correlation near 0)', () => {
    const n = 50_000;
    const x = draw(createRng(1).fork('request-0'), n);
    const y = draw(createRng(1).fork('request-1'), n);
    let cov = 0;
    for (let i = 0; i < n; i++) cov += (x[i] - 0.5) * (y[i] - 0.5);
    const corr = cov / n / (1 / 12);
    expect(Math.abs(corr)).to.be.lessThan(0.02); // sd ~0.0045
  });

  it('fillUniform continues the same stream as nextUint32', () => {
    const a = createRng(3);
    const b = createRng(3);
    const out = new Float32Array(5);
    a.fillUniform(out, 0, 1);
    const expected = Array.from({ length: 5 }, () => Math.fround(b.nextUint32() / 2 ** 32));
    expect(Array.from(out)).to.deep.equal(expected);
    expect(a.nextUint32()).to.equal(b.nextUint32());
  });

  it('normal() has mean ~0 and variance ~1', () => {
    const rng = createRng(11);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = normal(rng);
      sum += z;
      sq += z * z;
    }
    expect(sum / n).to.be.closeTo(0, 0.02);
    expect(sq / n).to.be.closeTo(1, 0.03);
  });

  it('rejects non-finite seeds', () => {
    expect(() => createRng(Number.NaN)).to.throw(RangeError, /finite/);
  });
});
