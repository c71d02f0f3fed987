import { expect } from 'chai';
import { percentile, speedup, stepLatencies, summarize, timeShares } from '../../src/report/metrics.js';
import { ReportError } from '../../src/report/errors.js';
import { groupRows } from '../../src/report/frame.js';
import { ALL_WORKLOADS, baselineOf, forwardKeys, summaryRows, summaryRowsByWorkload, type SummaryRow } from '../../src/report/summary.js';
import { summaryTable, toCsv } from '../../src/report/table.js';
import type { OutputRecord } from '../../src/harness/cell.js';
import { cell, CELLS, rec, RECORDS } from './hand.js';

const EPS = 1e-12;

function byCell(rows: readonly SummaryRow[], id: string, workload = ALL_WORKLOADS): SummaryRow {
  const r = rows.find((x) => x.cell === id && x.workload === workload);
  if (!r) throw new Error(`no row ${id}/${workload}`);
  return r;
}

describe('report metrics (hand-computed)', () => {
  it('percentile interpolates between order statistics like numpy', () => {
    expect(percentile([4, 4, 6], 0.5)).to.equal(4);
    expect(percentile([4, 4, 6], 0.9)).to.be.closeTo(5.6, EPS);
    expect(percentile([3, 1, 2, 10], 0.5)).to.equal(2.5);
    expect(percentile([7], 0.9)).to.equal(7);
    expect(percentile([], 0.5)).to.deep.equal(NaN);
  });

  it('summarize counts a batched forward once per step, and once per key given', () => {
    const batch = RECORDS.filter((r) => r.cell === 'S2').slice(0, 3); // one decode call
    const s = summarize(batch);
    expect(s.scoreMs).to.equal(3 + 2);
    expect(s.forwards).to.equal(2);
    expect(stepLatencies(batch)).to.deep.equal([3 + 1 + 1, 2 + 1]);
    const each = summarize(batch, (_, i) => i);
    expect(each.scoreMs).to.equal(3 + 3 + 2);
  });

  it('draft rows and shared rows are summed over the records that carry them (0 without)', () => {
    const records = [rec('G', 'w', 'p', 0, 0, { draftRows: 9, draftReused: 3 }), rec('G', 'w', 'p', 0, 1, { draftRows: 4, draftReused: 0 }), rec('G', 'w', 'p', 0, 2)];
    expect(summarize(records)).to.include({ draftRows: 13, draftReused: 3 });
    expect(summarize(RECORDS.filter((r) => r.cell === 'S1'))).to.include({ draftRows: 0, draftReused: 0 });
  });

  it('timeShares and speedup follow their definitions', () => {
    const s = summarize(
      RECORDS.filter((r) => r.cell === 'S1'),
      (_, i) => i,
    );
    const t = timeShares(s);
    expect([t.propose, t.score, t.verify, t.commit]).to.deep.equal([4 / 14, 6 / 14, 2 / 14, 2 / 14]);
    const base = summarize(
      RECORDS.filter((r) => r.cell === 'B1'),
      (_, i) => i,
    );
    expect(speedup(base, s)).to.be.closeTo(8 / 6 / (14 / 6), EPS);
  });
});

describe('report summary rows (hand-computed)', () => {
  const rows = summaryRows(CELLS, RECORDS);

  it('gives one row per cell in cells order', () => {
    expect(rows.map((r) => r.cell)).to.deep.equal(['B1', 'S1', 'S2', 'O']);
  });

  it('baseline: 6 independent forwards (steps restart per request), 8 ms for 6 tokens', () => {
    const b = byCell(rows, 'B1');
    expect(b).to.include({ steps: 6, tokens: 6, tokensPerStep: 1, proposed: 0, requests: 2, speedup: 1, baselineCell: 'B1' });
    expect(b.acceptance).to.deep.equal(NaN);
    expect(b.perDepthAcceptance).to.deep.equal([]);
    expect(b.msPerToken).to.be.closeTo(8 / 6, EPS);
    expect(b.scoreShare).to.equal(1);
  });

  it('S1: tokens/step, acceptance, per-depth, bonus share, times, speedup, percentiles', () => {
    const s = byCell(rows, 'S1');
    expect(s).to.include({ steps: 3, tokens: 6, tokensPerStep: 2, proposed: 9, accepted: 3, requests: 2, baselineCell: 'B1' });
    expect(s.acceptance).to.be.closeTo(1 / 3, EPS);
    expect(s.perDepthAcceptance).to.have.length(2);
    expect(s.perDepthAcceptance[0]).to.be.closeTo(2 / 3, EPS);
    expect(s.perDepthAcceptance[1]).to.be.closeTo(1 / 3, EPS);
    expect(s.bonusShare).to.be.closeTo(1 / 3, EPS);
    expect(s.msPerToken).to.be.closeTo(14 / 6, EPS);
    expect(s.tokensPerSecond).to.be.closeTo(1000 / (14 / 6), 1e-9);
    expect(s.speedup).to.be.closeTo(8 / 6 / (14 / 6), EPS);
    expect([s.proposeShare, s.scoreShare, s.verifyShare, s.commitShare]).to.deep.equal([4 / 14, 6 / 14, 2 / 14, 2 / 14]);
    expect(s.p50StepMs).to.equal(4);
    expect(s.p90StepMs).to.be.closeTo(5.6, EPS);
    // Per forward: 4 ms / 3 tokens, 4 ms / 1 token, 6 ms / 2 tokens -> sorted 4/3, 3, 4.
    expect(s.p50MsPerToken).to.be.closeTo(3, EPS);
    expect(s.p90MsPerToken).to.be.closeTo(3.8, EPS);
    expect(s.params).to.deep.equal({ 'policy.expansion': '1,2', 'verifier.kind': 'greedy' });
  });

  it('S1 intervals over its 2 requests: p1 (4 tokens, 2 steps, 8 ms), p2 (2, 1, 6 ms); baseline p1 (4, 4, 4 ms), p2 (2, 2, 4 ms)', () => {
    const s = byCell(rows, 'S1');
    expect(s.n).to.equal(2);
    // Every resample has 2 tokens/step and acceptance 1/3; ms/token is 2 (p1 twice), 14/6 or 3 (p2 twice).
    expect(s.ci.tokensPerStep).to.deep.equal({ lo: 2, hi: 2 });
    expect(s.ci.acceptance.lo).to.be.closeTo(1 / 3, EPS);
    expect(s.ci.acceptance.hi).to.be.closeTo(1 / 3, EPS);
    expect(s.ci.msPerToken).to.deep.equal({ lo: 2, hi: 3 });
    // Paired speedup: 1/2 (p1 twice), (8/6)/(14/6) = 4/7, (2)/(3) = 2/3 (p2 twice).
    expect(s.ci.speedup.lo).to.be.closeTo(0.5, EPS);
    expect(s.ci.speedup.hi).to.be.closeTo(2 / 3, EPS);
    expect(byCell(rows, 'B1').ci.speedup).to.deep.equal({ lo: 1, hi: 1 });
  });

  it('S2 (batch 2, two decode calls): each call’s forwards counted once; baseline falls back to batch 1', () => {
    const s = byCell(rows, 'S2');
    expect(s).to.include({ steps: 5, tokens: 8, requests: 4, baselineCell: 'B1' });
    expect(s.tokensPerStep).to.be.closeTo(1.6, EPS);
    expect(s.perDepthAcceptance).to.deep.equal([3 / 5]);
    expect(s.bonusShare).to.be.closeTo(3 / 5, EPS);
    expect(s.msPerToken).to.be.closeTo(14 / 8, EPS); // propose 5 + forwards 3 + 2 + 4
    expect(s.speedup).to.be.closeTo(8 / 6 / (14 / 8), EPS);
    expect(s.p50StepMs).to.equal(5); // step latencies 5, 3, 6
    expect(s.p90StepMs).to.be.closeTo(5.8, EPS);
  });

  it('a cell whose target has no baseline has no speedup', () => {
    const o = byCell(rows, 'O');
    expect(o.speedup).to.deep.equal(NaN);
    expect(o.baselineCell).to.equal('');
    expect(o.tokensPerStep).to.equal(2);
  });

  it('by workload: rows per cell x workload, speedups against the baseline on the same workload', () => {
    const w = summaryRowsByWorkload(CELLS, RECORDS);
    expect(w.map((r) => `${r.cell}/${r.workload}`)).to.deep.equal(['B1/w1', 'B1/w2', 'S1/w1', 'S1/w2', 'S2/w1', 'O/w1']);
    const w1 = byCell(w, 'S1', 'w1');
    expect(w1.tokensPerStep).to.equal(2);
    expect(w1.msPerToken).to.equal(2);
    expect(w1.speedup).to.be.closeTo(1 / 2, EPS);
    const w2 = byCell(w, 'S1', 'w2');
    expect(w2.msPerToken).to.equal(3);
    expect(w2.speedup).to.be.closeTo(2 / 3, EPS);
    expect(byCell(w, 'S2', 'w1').msPerToken).to.be.closeTo(14 / 8, EPS);
  });

  it('a cell without records gives a row of NaN metrics', () => {
    const [r] = summaryRows([cell('E')], []);
    expect(r.steps).to.equal(0);
    expect(r.tokensPerStep).to.deep.equal(NaN);
    expect(r.p50StepMs).to.deep.equal(NaN);
  });

  it('a record of an unknown cell is an error naming it', () => {
    expect(() => summaryRows([cell('A')], [rec('Z', 'w', 'p', 0, 0)])).to.throw(ReportError, "'Z'");
  });
});

describe('report grouping helpers', () => {
  it('forwardKeys: batch 1 is one forward per record; batch > 1 splits calls where (request, step) repeats or the workload changes', () => {
    const s2 = RECORDS.filter((r) => r.cell === 'S2');
    expect(forwardKeys(s2, 1)).to.deep.equal(['0', '1', '2', '3', '4']);
    expect(forwardKeys(s2, 2)).to.deep.equal(['0:0', '0:0', '0:1', '1:0', '1:0']);
    const two = [rec('X', 'a', 'p', 0, 0), rec('X', 'b', 'q', 1, 0)];
    expect(forwardKeys(two, 2)).to.deep.equal(['0:0', '1:0']);
  });

  it('forwardKeys: records with forward ids are grouped by them, whatever their order', () => {
    const withIds = [0, 1, 0, 2, 1].map((forward, i) => ({ ...rec('X', 'w', 'p', i % 2, i), forward }));
    expect(forwardKeys(withIds, 2)).to.deep.equal(['f0', 'f1', 'f0', 'f2', 'f1']);
    expect(forwardKeys(withIds, 1)).to.deep.equal(['f0', 'f1', 'f0', 'f2', 'f1']);
  });

  it('baselineOf prefers the same batch size, else batch 1', () => {
    const cells = [cell('B1', { baseline: true }), cell('B4', { baseline: true, batchSize: 4 }), cell('X', { batchSize: 4 }), cell('Y', { batchSize: 2 })];
    expect(baselineOf(cells[2], cells)?.id).to.equal('B4');
    expect(baselineOf(cells[3], cells)?.id).to.equal('B1');
    expect(baselineOf(cell('Z', { target: 'other' }), cells)).to.equal(undefined);
  });

  it('groupRows keeps first-seen order and keys that look alike apart', () => {
    const g = groupRows(['a-b|c', 'a|b-c', 'a-b|c', 'x'], (s) => s);
    expect([...g.keys()]).to.deep.equal(['a-b|c', 'a|b-c', 'x']);
    expect(g.get('a-b|c')).to.have.length(2);
    expect(groupRows([], (s: string) => s).size).to.equal(0);
  });
});

describe('report summary CSV', () => {
  const rows = summaryRows(CELLS, RECORDS);

  it('has acc_d1..acc_dK, param columns, quotes fields with commas and leaves NaN empty', () => {
    const csv = toCsv(summaryTable(rows, { name: 'summary', title: 'Summary', byWorkload: false }));
    const [header, b1, s1] = csv.trimEnd().split('\n');
    const cols = header.split(',');
    expect(cols).to.include.members(['tokens_per_step', 'acceptance', 'acc_d1', 'acc_d2', 'bonus_share', 'ms_per_token', 'tokens_per_s', 'speedup']);
    expect(cols).to.include.members(['propose_share', 'score_share', 'verify_share', 'commit_share', 'p50_step_ms', 'p90_step_ms']);
    expect(cols).to.include.members(['param.policy.expansion', 'param.verifier.kind']);
    expect(cols).to.not.include('acc_d3');
    expect(cols).to.not.include('workload');
    expect(s1).to.contain('"policy.expansion=1,2 verifier.kind=greedy"');
    expect(s1.endsWith(',"1,2",greedy')).to.equal(true);
    const at = (line: string, col: string) => line.split(',')[cols.indexOf(col)];
    expect(at(b1, 'acceptance')).to.equal('');
    expect(at(b1, 'tokens_per_step')).to.equal('1');
    expect(at(b1, 'ms_per_token')).to.equal('1.33333');
    expect(cols).to.include.members([
      'n',
      'tokens_per_step_lo',
      'tokens_per_step_hi',
      'acceptance_lo',
      'acceptance_hi',
      'speedup_lo',
      'speedup_hi',
      'ms_per_token_lo',
      'ms_per_token_hi',
    ]);
    // B1's requests: p1 at 1 ms/token, p2 at 2 ms/token.
    expect([at(b1, 'n'), at(b1, 'tokens_per_step_lo'), at(b1, 'tokens_per_step_hi'), at(b1, 'ms_per_token_lo'), at(b1, 'ms_per_token_hi')]).to.deep.equal([
      '2',
      '1',
      '1',
      '1',
      '2',
    ]);
  });

  it('the by-workload table has a workload column', () => {
    const t = summaryTable(summaryRowsByWorkload(CELLS, RECORDS), { name: 'w', title: 'W', byWorkload: true });
    expect(t.columns.slice(0, 3)).to.deep.equal(['cell', 'label', 'workload']);
    expect(t.rows).to.have.length(6);
  });

  it("lossless: yes when a greedy cell's outputs equal its baseline's, else how many differ and where first", () => {
    const out = (c: string, prompt: string, tokens: number[]): OutputRecord => ({ cell: c, workload: 'w1', prompt, seed: 0, tokens, text: '', stop: 'max-tokens' });
    const outputs = [out('B1', 'p1', [5, 6, 7]), out('B1', 'p2', [8, 9]), out('S1', 'p1', [5, 6, 7]), out('S1', 'p2', [8, 9]), out('S2', 'p1', [5, 6, 7]), out('S2', 'p2', [8, 4])];
    const cells = [...CELLS, cell('H', { index: 4, temperature: 1 })];
    const rows = summaryRows(cells, RECORDS, outputs);
    expect(rows.map((r) => r.lossless)).to.deep.equal(['', 'yes', 'no (1 of 2 differ; first: w1/p2 at token 1)', '', '']);
    const csv = toCsv(summaryTable(rows, { name: 'summary', title: '', byWorkload: false })).split('\n');
    expect(csv[0].split(',')).to.include('lossless');
    expect(csv[3]).to.include(',no (1 of 2 differ; first: w1/p2 at token 1)');
    expect(summaryRows(CELLS, RECORDS).map((r) => r.lossless)).to.deep.equal(['', '', '', '']);
  });
});
