import { expect } from 'chai';
import type { CellRecord } from '../../src/harness/cell.js';
import { conclusion, conclusionLines } from '../../src/report/conclusion.js';
import { bootstrapOptions } from '../../src/report/intervals.js';
import { summaryRows, unitsByCell } from '../../src/report/summary.js';
import { cell, rec } from './hand.js';

const PROMPTS = ['p1', 'p2', 'p3', 'p4'];
const EPS = 1e-12;

/** One request of cell `c`: one step per entry of `emitted`, each 1 ms. */
function request(c: string, prompt: string, emitted: readonly number[]): CellRecord[] {
  return emitted.map((e, step) => rec(c, 'w', prompt, 0, step, { emitted: e, scoreMs: 1, treeSize: e > 1 ? 4 : 2, accepted: e - 1 }));
}

// Every request: B 4 tokens in 4 steps (4 ms); A 4 in 2 (2 ms, speedup 2); C 4 in 3 (3 ms, speedup 4/3).
// D: p1, p2 one step of 4 tokens (4 tokens/step); p3, p4 four steps of 1 (1 token/step): 16 tokens in 10 steps.
const CELLS = [cell('B', { baseline: true, speculator: 'none', policy: 'none' }), cell('A'), cell('C'), cell('D')];
const EVEN: CellRecord[] = PROMPTS.flatMap((p) => [...request('B', p, [1, 1, 1, 1]), ...request('A', p, [2, 2]), ...request('C', p, [2, 1, 1])]);
const MIXED: CellRecord[] = [...EVEN, ...PROMPTS.flatMap((p, i) => request('D', p, i < 2 ? [4] : [1, 1, 1, 1]))];

/** The conclusion over `cells` and their records. */
function concluded(cells: typeof CELLS, all: readonly CellRecord[]) {
  const records = all.filter((r) => cells.some((c) => c.id === r.cell));
  const rows = summaryRows(cells, records);
  return conclusion(rows, unitsByCell(cells, records), bootstrapOptions(9, 500));
}

describe('report conclusion (hand-computed)', () => {
  it('A beats C on every request: difference 2/3 with a zero-width interval, significant for both metrics', () => {
    const c = concluded(CELLS.slice(0, 3), EVEN);
    for (const comparison of [c.bySpeedup, c.byTokensPerStep]) {
      expect(comparison?.best.cell).to.equal('A');
      expect(comparison?.runnerUp?.cell).to.equal('C');
      expect(comparison?.difference?.n).to.equal(4);
      expect(comparison?.difference?.value).to.be.closeTo(2 / 3, EPS);
      expect(comparison?.difference?.ci.lo).to.be.closeTo(2 / 3, EPS);
      expect(comparison?.difference?.ci.hi).to.be.closeTo(2 / 3, EPS);
      expect(comparison?.significant).to.equal(true);
    }
    const lines = conclusionLines(c, 500);
    expect(lines[0]).to.match(
      /^Fastest: A, speedup 2\.00 \[2\.00, 2\.00\].*Runner-up C: 1\.33 \[1\.33, 1\.33\]\. Difference 0\.67 \[0\.67, 0\.67\] \(paired bootstrap over 4 requests run by both\): significant/,
    );
    expect(lines[1]).to.match(/^Most tokens per step: A, 2\.00 \[2\.00, 2\.00\] tokens\/step, acceptance 0\.25 \[0\.25, 0\.25\]/);
    expect(lines.join(' ')).to.contain('Acceptance: accepted draft tokens / proposed draft tokens');
  });

  it('D beats A on half the requests and loses on the others: not significant though its pooled value is lower', () => {
    const t = concluded(CELLS, MIXED).byTokensPerStep;
    expect([t?.best.cell, t?.runnerUp?.cell]).to.deep.equal(['A', 'D']);
    expect(t?.difference?.value).to.be.closeTo(2 - 16 / 10, EPS);
    expect(t?.difference?.ci.lo).to.be.below(0);
    expect(t?.significant).to.equal(false);
    expect(conclusionLines(concluded(CELLS, MIXED), 500)[1]).to.contain('not significant at the 95% level (the interval includes 0)');
  });

  it('one speculating cell has nothing to compare with; none has nothing to conclude', () => {
    const one = concluded(CELLS.slice(0, 2), EVEN);
    expect(one.bySpeedup?.best.cell).to.equal('A');
    expect(one.bySpeedup?.runnerUp).to.equal(undefined);
    expect(conclusionLines(one, 500)[0]).to.contain('No other speculating cell to compare with.');
    expect(conclusionLines(concluded(CELLS.slice(0, 1), EVEN), 500)).to.deep.equal(['No speculating cell has records: nothing to conclude.']);
  });
});
