import { expect } from 'chai';
import { chiSquareSurvival, chiSquareTest, gammaQ, lnGamma } from '../support/stats.js';

describe('chi-square survival function (test support)', () => {
  // Reference values: standard tables / scipy.stats.chi2.sf.
  const table: [number, number, number][] = [
    [3.841459, 1, 0.05],
    [6.634897, 1, 0.01],
    [18.307, 10, 0.0500005891],
    [4, 2, Math.exp(-2)],
    [100, 50, 3.454931383e-5],
    [150, 100, 9.039320424e-4],
    [30, 4, 4.894437128e-6],
    [0.001, 3, 0.9999915921],
    [0.5, 7, 0.9994464814],
    [0, 5, 1],
  ];
  for (const [x, df, p] of table) {
    it(`P(chi2_${df} >= ${x}) = ${p.toPrecision(6)}`, () => expect(chiSquareSurvival(x, df)).to.be.closeTo(p, Math.max(1e-9, p * 1e-6)));
  }
  it('lnGamma and gammaQ at known points', () => {
    expect(lnGamma(1)).to.be.closeTo(0, 1e-13);
    expect(lnGamma(0.5)).to.be.closeTo(Math.log(Math.sqrt(Math.PI)), 1e-13);
    expect(lnGamma(10)).to.be.closeTo(Math.log(362880), 1e-11);
    expect(gammaQ(1, 3)).to.be.closeTo(Math.exp(-3), 1e-14);
  });
});

describe('chi-square goodness-of-fit with pooling (test support)', () => {
  it('computes Pearson statistic and df', () => {
    const r = chiSquareTest(
      new Map([
        [0, 60],
        [1, 40],
      ]),
      new Map([
        [0, 0.5],
        [1, 0.5],
      ]),
    );
    expect(r.stat).to.be.closeTo(4, 1e-12);
    expect(r.df).to.equal(1);
    expect(r.pValue).to.be.closeTo(0.0455003, 1e-6);
  });
  it('pools cells with expected counts below 5', () => {
    // expected counts 85, 6, 5, 2, 1, 1: the pool takes 1 + 1 + 2 = 4 (< 5), then 5 -> 9; cells {9, 6, 85}
    const probs = new Map([
      [0, 0.85],
      [1, 0.06],
      [2, 0.05],
      [3, 0.02],
      [4, 0.01],
      [5, 0.01],
    ]);
    const r = chiSquareTest(
      new Map([
        [0, 85],
        [1, 6],
        [2, 5],
        [3, 2],
        [4, 1],
        [5, 1],
      ]),
      probs,
    );
    expect(r.cells).to.equal(3);
    expect(r.df).to.equal(2);
    expect(r.stat).to.be.closeTo(0, 1e-12);
  });
  it('gives p = 0 when an impossible outcome is observed', () => {
    const r = chiSquareTest(
      new Map([
        [0, 10],
        [7, 1],
      ]),
      new Map([[0, 1]]),
    );
    expect(r.impossible).to.equal(1);
    expect(r.pValue).to.equal(0);
  });
});
