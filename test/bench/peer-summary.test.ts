import { expect } from 'chai';
import { summarize, summaryTable, type SystemResult } from '../../src/bench/peer-summary.js';

function r(system: string, side: SystemResult['side'], mode: SystemResult['mode'], median: number, weights = 'Q4_0'): SystemResult {
  return { target: 'x', weights, system, side, mode, tokensPerSecond: [median], median, matches: true };
}

describe('bench/peer-summary', () => {
  const results = [
    r('ours inc t1', 'specinfer', 'incremental', 90),
    r('ours inc t2', 'specinfer', 'incremental', 100),
    r('ours chain', 'specinfer', 'draft', 150),
    r('ours suffix', 'specinfer', 'model-free', 120),
    r('bench t1', 'llama.cpp native', 'incremental', 200),
    r('bench t2', 'llama.cpp native', 'incremental', 250),
    r('node inc', 'llama.cpp', 'incremental', 180),
    r('draft n=4', 'llama.cpp native', 'draft', 300),
    r('ours inc', 'specinfer', 'incremental', 40, 'F32'),
    r('bench', 'llama.cpp native', 'incremental', 50, 'F32'),
  ];
  const s = summarize(results);

  it('has one entry per target, weights and mode where both sides ran, then best', () => {
    expect(s.map((e) => `${e.weights} ${e.mode}`)).to.deep.equal(['Q4_0 incremental', 'Q4_0 draft', 'Q4_0 best', 'F32 incremental', 'F32 best']);
  });
  it('pairs our best setting of a mode with the strongest peer variant of that mode', () => {
    expect(s[0]).to.deep.equal({
      target: 'x',
      weights: 'Q4_0',
      mode: 'incremental',
      ours_tok_s: 100,
      ours_setting: 'ours inc t2',
      peer: 'llama.cpp native',
      peer_tok_s: 250,
      peer_setting: 'bench t2',
      ratio: 0.4,
    });
  });
  it('best: our best mode against the peer best mode (its incremental may win)', () => {
    expect(s[2]).to.deep.include({ ours_setting: 'ours chain', peer_setting: 'draft n=4', ratio: 0.5 });
    expect(s[4]).to.deep.include({ ours_tok_s: 40, peer_tok_s: 50, ratio: 0.8 });
  });
  it('prints a Markdown row per entry', () => {
    const lines = summaryTable(s).split('\n');
    expect(lines).to.have.length(2 + 5);
    expect(lines[2]).to.equal('| x | Q4_0 | incremental | 100.0 | ours inc t2 | llama.cpp native | 250.0 | bench t2 | 0.40 |');
  });
});
