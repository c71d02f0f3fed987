import { expect } from 'chai';
import { appendEmitted } from '../../src/decode/records.js';

describe('appendEmitted (where a request stops)', () => {
  const STOP = [1, 2];
  const never = () => false;

  it('keeps every token and goes on', () => {
    const out = [7];
    expect(appendEmitted(out, [5, 6], STOP, 10, never)).to.deep.equal({ kept: [5, 6], produced: 2, stop: undefined });
    expect(out).to.deep.equal([7, 5, 6]);
  });

  it('a stop token ends the request: not output, but produced (incremental decoding: 1 token per step)', () => {
    const out: number[] = [];
    expect(appendEmitted(out, [5, 2, 6], STOP, 10, never)).to.deep.equal({ kept: [5], produced: 2, stop: 'eos' });
    expect(appendEmitted([], [1], STOP, 10, never)).to.deep.equal({ kept: [], produced: 1, stop: 'eos' });
    expect(out).to.deep.equal([5]);
  });

  it('cuts at maxTokens', () => {
    const out = [3, 3];
    expect(appendEmitted(out, [5, 6, 7], STOP, 3, never)).to.deep.equal({ kept: [5], produced: 1, stop: 'max-tokens' });
    expect(appendEmitted([], [5], STOP, 1, never).stop).to.equal('max-tokens');
  });

  it('ends at a full context, asked after appending; a negative token (past the context) is not output', () => {
    expect(appendEmitted([], [5, 6], STOP, 10, () => true)).to.deep.equal({ kept: [5, 6], produced: 2, stop: 'context' });
    expect(appendEmitted([], [5, -1], STOP, 10, never)).to.deep.equal({ kept: [5], produced: 1, stop: 'context' });
  });
});
