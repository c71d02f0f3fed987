/**
 * The progress log line: tokens/s counts the cell's decode calls only;
 * loading and warm-up (the rest of the cell's wall time) are shown apart.
 */
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { createProgress } from '../../src/harness/progress.js';

describe('progress log line', () => {
  it('tokens/s over decoding time only, loading and warm-up apart', () => {
    let now = 0;
    const stream = new PassThrough();
    const p = createProgress({ stream, tty: false, cells: 1, requests: 2, clock: { nowMs: () => now } });
    p.startCell('c0', 'ssm tree', 2);
    now += 3000; // loading and warm-up
    p.batch(1, 100, 500);
    p.batch(1, 100, 500);
    now += 1000;
    p.endCell('2.00 tokens/step');
    expect(String(stream.read())).to.equal('[1/1] c0 ssm tree: 2 prompts, 200 tokens, 200 tokens/s decoding, 4.0 s (3.0 s loading and warm-up), 2.00 tokens/step\n');
  });
});
