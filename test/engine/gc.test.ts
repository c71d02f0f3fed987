import { expect } from 'chai';
import { collectGarbage } from '../../src/engine/gc.js';

describe('collectGarbage', () => {
  it('collects an unreachable array before it returns (and can run again)', async () => {
    for (let round = 0; round < 2; round++) {
      const ref = new WeakRef(new Float32Array(1 << 20));
      await new Promise((resolve) => setImmediate(resolve)); // a WeakRef keeps its target alive until the job that made it ends
      await collectGarbage();
      expect(ref.deref(), `round ${round}`).to.equal(undefined);
    }
  });
});
