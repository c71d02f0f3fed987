import { expect } from 'chai';
import { InputCache } from '../../src/engine/inputs.js';

describe('input cache (forward inputs reused by shape)', () => {
  it('hands the same zeroed buffers to the next forward of the same shape', () => {
    const cache = new InputCache();
    const a = cache.acquire(1, 2, 5);
    expect(a.ids).to.have.length(2);
    expect(a.bias).to.have.length(10);
    expect(a.biasTensor.dims).to.deep.equal([1, 1, 2, 5]);
    a.ids[1] = 7n;
    a.positions[0] = 3n;
    a.bias[4] = -Infinity;
    cache.release(a);
    const b = cache.acquire(1, 2, 5);
    expect(b).to.equal(a);
    expect([...b.ids]).to.deep.equal([0n, 0n]);
    expect([...b.positions]).to.deep.equal([0n, 0n]);
    expect([...b.bias].every((x) => x === 0)).to.equal(true);
  });

  it('gives a forward that overlaps another of the same shape its own buffers, and other shapes theirs', () => {
    const cache = new InputCache();
    const a = cache.acquire(2, 3, 40);
    const b = cache.acquire(2, 3, 40);
    expect(b).to.not.equal(a);
    expect(b.bias).to.not.equal(a.bias);
    expect(cache.acquire(2, 3, 41)).to.not.equal(a);
    cache.release(a);
    cache.release(b);
    expect(cache.acquire(2, 3, 40)).to.equal(a);
  });

  it('keeps at most 64 shapes, dropping the oldest', () => {
    const cache = new InputCache();
    const first = cache.acquire(1, 1, 1);
    cache.release(first);
    for (let t = 2; t <= 70; t++) cache.release(cache.acquire(1, 1, t));
    expect(cache.size).to.equal(64);
    expect(cache.acquire(1, 1, 1)).to.not.equal(first);
  });
});
