import { expect } from 'chai';
import { endedEnv, envStrings, runEnv } from '../../src/harness/env.js';

describe('env.json: the machine, threads and load average of a run', () => {
  it('thread counts distinct and ascending; load average at the start, then at the end', () => {
    const env = runEnv('1.0', [2, 0, 2, 1]);
    expect(env.threads).to.deep.equal([0, 1, 2]);
    expect(env.loadAvgStart).to.have.length(3);
    expect(env.loadAvgEnd).to.equal(undefined);
    const ended = endedEnv(env);
    expect(ended.loadAvgEnd).to.have.length(3);
    expect(ended.loadAvgStart).to.equal(env.loadAvgStart);
  });

  it('as text for the report', () => {
    const text = envStrings({ ...runEnv('1.0', [0, 2]), loadAvgStart: [0.5, 1.25, 2], loadAvgEnd: [1, 0, 0] });
    expect(text.threads).to.equal('0 (one per core), 2');
    expect(text.loadAvgStart).to.equal('0.5 / 1.25 / 2 (1 / 5 / 15 min)');
    expect(text.loadAvgEnd).to.equal('1 / 0 / 0 (1 / 5 / 15 min)');
    expect(text.onnxruntime).to.equal('1.0');
  });
});
