import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { bootstrap, bootstrapOptions, excludes, resampleIndices } from '../../src/report/intervals.js';
import { ratios, summarize, unitTotals, type Totals } from '../../src/report/metrics.js';
import { cellIntervals, pairedUnits, totalsAt } from '../../src/report/units.js';
import { rec } from './hand.js';

/** The mean of `values` at the resampled indices. */
const meanAt = (values: readonly number[]) => (idx: ArrayLike<number>) => [Array.from(idx).reduce((s, i) => s + values[i], 0) / idx.length];

const totals = (tokens: number, steps: number, ms: number, proposed = 0, accepted = 0): Totals => ({ steps, tokens, proposed, accepted, ms });

describe('report intervals: bootstrap (hand-checkable cases)', () => {
  it('resampleIndices draws n indices in 0..n-1, the same for the same seed', () => {
    const a = resampleIndices(5, createRng(3));
    expect(a).to.have.length(5);
    expect(Array.from(a).every((i) => i >= 0 && i < 5)).to.equal(true);
    expect(Array.from(resampleIndices(5, createRng(3)))).to.deep.equal(Array.from(a));
  });

  it('identical units give a zero-width interval at their value', () => {
    const [ci] = bootstrap(6, meanAt([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]), bootstrapOptions(1, 200));
    expect(ci).to.deep.equal({ lo: 2.5, hi: 2.5 });
  });

  it('units {0, 1}: resample means are 0, 0.5, 1 with chances 1/4, 1/2, 1/4', () => {
    // 95%: the 2.5% and 97.5% quantiles are 0 and 1; 40%: the 30% and 70% quantiles are both 0.5.
    expect(bootstrap(2, meanAt([0, 1]), bootstrapOptions(2, 2000))[0]).to.deep.equal({ lo: 0, hi: 1 });
    expect(bootstrap(2, meanAt([0, 1]), bootstrapOptions(2, 2000, 0.4))[0]).to.deep.equal({ lo: 0.5, hi: 0.5 });
  });

  it('two draws i, j of {0, 1} read as i + 2j: 0..3 equally likely, so the 40% interval is [1, 2]', () => {
    const code = (idx: ArrayLike<number>) => [idx[0] + 2 * idx[1]];
    expect(bootstrap(2, code, bootstrapOptions(3, 2000, 0.4))[0]).to.deep.equal({ lo: 1, hi: 2 });
    expect(bootstrap(2, code, bootstrapOptions(3, 2000))[0]).to.deep.equal({ lo: 0, hi: 3 });
  });

  it('fewer than two units give no interval; NaN resamples are left out', () => {
    expect(bootstrap(1, meanAt([3]), bootstrapOptions())[0]).to.satisfy((ci: { lo: number; hi: number }) => Number.isNaN(ci.lo) && Number.isNaN(ci.hi));
    const nanWhenFirst = (idx: ArrayLike<number>) => [Array.from(idx).includes(0) ? NaN : 7];
    expect(bootstrap(3, nanWhenFirst, bootstrapOptions(4, 300))[0]).to.deep.equal({ lo: 7, hi: 7 });
  });

  it('the same seed gives the same interval, another seed may not', () => {
    const values = [1, 4, 2, 8, 5, 7, 3, 9];
    const a = bootstrap(8, meanAt(values), bootstrapOptions(5, 500));
    expect(bootstrap(8, meanAt(values), bootstrapOptions(5, 500))).to.deep.equal(a);
    expect(a[0].lo).to.be.below(a[0].hi);
  });

  it('excludes: only an interval wholly on one side of x', () => {
    expect(excludes({ lo: 0.1, hi: 0.3 }, 0)).to.equal(true);
    expect(excludes({ lo: -0.3, hi: -0.1 }, 0)).to.equal(true);
    expect(excludes({ lo: -0.1, hi: 0.3 }, 0)).to.equal(false);
    expect(excludes({ lo: NaN, hi: NaN }, 0)).to.equal(false);
  });
});

describe('report intervals: units and paired ratios', () => {
  it('unitTotals splits a batched forward equally; the units add up to summarize', () => {
    // One forward of 4 ms scored requests a and b; b also proposed for 1 ms.
    const rs = [rec('S', 'w', 'a', 0, 0, { scoreMs: 4, emitted: 2 }), rec('S', 'w', 'b', 1, 0, { scoreMs: 4, proposeMs: 1 })];
    const u = unitTotals(rs, (r) => r.prompt);
    expect(u.get('a')).to.deep.equal(totals(2, 1, 2));
    expect(u.get('b')).to.deep.equal(totals(1, 1, 3));
    const all = totalsAt([...u.values()], [0, 1]);
    expect(ratios(all).msPerToken).to.equal(summarize(rs).msPerToken);
  });

  it('pairedUnits keeps the keys present in every set, aligned', () => {
    const a = new Map([
      ['p', totals(1, 1, 1)],
      ['q', totals(2, 1, 1)],
    ]);
    const b = new Map([
      ['q', totals(3, 1, 1)],
      ['r', totals(4, 1, 1)],
    ]);
    expect(pairedUnits([a, b])).to.deep.equal([[totals(2, 1, 1)], [totals(3, 1, 1)]]);
  });

  it('a method twice as fast on every request has speedup [2, 2] though its ms/token varies by request', () => {
    // Requests cost 1, 10 and 100 ms/token under the baseline; the method halves each.
    const base = new Map([
      ['p', totals(10, 10, 10)],
      ['q', totals(10, 10, 100)],
      ['r', totals(10, 10, 1000)],
    ]);
    const method = new Map([
      ['p', totals(10, 5, 5, 10, 5)],
      ['q', totals(10, 5, 50, 10, 5)],
      ['r', totals(10, 5, 500, 10, 5)],
    ]);
    const ci = cellIntervals(method, base, bootstrapOptions(6, 500));
    expect(ci.speedup).to.deep.equal({ lo: 2, hi: 2 });
    expect(ci.tokensPerStep).to.deep.equal({ lo: 2, hi: 2 });
    expect(ci.acceptance).to.deep.equal({ lo: 0.5, hi: 0.5 });
    expect(ci.msPerToken.lo).to.be.below(5);
    expect(ci.msPerToken.hi).to.be.above(10);
  });

  it('without a baseline the speedup has no interval', () => {
    const ci = cellIntervals(
      new Map([
        ['p', totals(2, 1, 1)],
        ['q', totals(2, 1, 1)],
      ]),
      undefined,
      bootstrapOptions(),
    );
    expect(Number.isNaN(ci.speedup.lo)).to.equal(true);
    expect(ci.tokensPerStep).to.deep.equal({ lo: 2, hi: 2 });
  });
});
