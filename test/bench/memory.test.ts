import { expect } from 'chai';
import { memoryTable, parseMemoryArgs } from '../../src/bench/memory.js';
import { peakRssBytes } from '../../src/bench/maxrss-preload.js';
import { loadModelAs } from '../../src/model/models.js';
import { weightBytes } from '../../src/model/weights.js';
import { useTestModelsDir } from '../support/models-dir.js';

describe('bench:memory', () => {
  before(() => useTestModelsDir());

  it('weightBytes of stories260K: float32, and Q8_0 / Q4_0 blocks with w2 (172-wide rows) kept float32', async () => {
    // 260032 parameters x 4 bytes (tied classifier counted once).
    expect(weightBytes((await loadModelAs('stories260K', 'f32')).weights)).to.equal(1040128);
    // Per layer: wq, wo 128 blocks, wk, wv 64, w1, w3 344 (34 bytes each for Q8_0, 18 for Q4_0),
    // w2 11008 floats, norms 128 floats; 5 layers + embedding 32768 floats + final norm 64 floats.
    const layer = (block: number) => (2 * 128 + 2 * 64 + 2 * 344) * block + 11008 * 4 + 128 * 4;
    expect(weightBytes((await loadModelAs('stories260K', 'q8_0')).weights)).to.equal(5 * layer(34) + 32832 * 4);
    expect(weightBytes((await loadModelAs('stories260K', 'q4_0')).weights)).to.equal(5 * layer(18) + 32832 * 4);
  });

  it('peakRssBytes is the high-water mark: at least the resident size now', () => {
    expect(peakRssBytes()).to.be.at.least(process.memoryUsage().rss * 0.99);
  });

  it('table: difference and ratio to the weights in MiB', () => {
    const MiB = 2 ** 20;
    const table = memoryTable([{ source: 'gguf', weights: 'q8_0', weightBytes: 80 * MiB, baselinePeakBytes: 120 * MiB, peakBytes: 320 * MiB, ratio: 2.5 }]);
    expect(table.split('\n')[2]).to.equal('| GGUF | q8_0 | 80.0 | 120.0 | 320.0 | 200.0 | 2.50 |');
  });

  it('arguments: defaults, and bad values named with what is accepted', () => {
    expect(parseMemoryArgs([])).to.deep.equal({ weights: ['f32', 'q8_0', 'q4_0'], sources: ['load', 'gguf'], repeats: 1, threads: 1, out: 'memory' });
    expect(parseMemoryArgs(['--weights', 'q4_0', '--repeats', '3'])).to.include({ repeats: 3 });
    expect(() => parseMemoryArgs(['--weights', 'q5_k'])).to.throw('--weights: unknown type "q5_k" (use a comma-separated list of f32, q8_0, q4_0)');
    expect(() => parseMemoryArgs(['--sources', 'hf'])).to.throw('--sources: unknown source "hf" (use a comma-separated list of load, gguf)');
    expect(() => parseMemoryArgs(['--repeats', '0'])).to.throw('--repeats must be an integer >= 1, got 0');
  });
});
