import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { checkSampling, probabilities, sampleFrom, softmaxAt } from '../../src/sampling/transform.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import { scriptedRng } from '../verifiers/scripted-rng.js';

const LOGITS = Float32Array.of(2, 1, 0, -1);
const sp = (temperature: number, topK = 0, topP = 1): SamplingParams => ({ temperature, topK, topP });

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-4): void {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `entry ${i} of [${Array.from(actual).join(', ')}]`).to.be.closeTo(expected[i], tol);
}

describe('sampling transform: probabilities()', () => {
  // Hand-computed from logits [2, 1, 0, -1]:
  //   T = 1:   e^[2,1,0,-1] / 11.4752          = [0.6439, 0.2369, 0.0871, 0.0321]
  //   T = 0.5: e^[4,2,0,-2] / 63.1226          = [0.8650, 0.1171, 0.0158, 0.0021]
  //   T = 2:   e^[1,.5,0,-.5] / 5.9735         = [0.4551, 0.2760, 0.1674, 0.1015]
  const table: [string, SamplingParams, number[]][] = [
    ['temperature 1', sp(1), [0.6439, 0.2369, 0.0871, 0.0321]],
    ['temperature 0.5', sp(0.5), [0.865, 0.1171, 0.0158, 0.0021]],
    ['temperature 2', sp(2), [0.4551, 0.276, 0.1674, 0.1015]],
    // top-2 of T = 1, renormalized: [0.6439, 0.2369] / 0.8808 = sigmoid(1), sigmoid(-1)
    ['top-k 2', sp(1, 2), [0.7311, 0.2689, 0, 0]],
    ['top-k 4 (= vocabulary: off)', sp(1, 4), [0.6439, 0.2369, 0.0871, 0.0321]],
    // cumulative 0.6439 < 0.8 <= 0.8808: the two best tokens
    ['top-p 0.8', sp(1, 0, 0.8), [0.7311, 0.2689, 0, 0]],
    // cumulative 0.8808 < 0.9 <= 0.9679: three tokens, / 0.9679
    ['top-p 0.9', sp(1, 0, 0.9), [0.6652, 0.2447, 0.09, 0]],
    ['top-p 0.5 (the best token alone reaches it)', sp(1, 0, 0.5), [1, 0, 0, 0]],
    // T = 0.5 then top-2: [0.8650, 0.1171] / 0.9820 = sigmoid(2), sigmoid(-2)
    ['temperature 0.5 + top-k 2', sp(0.5, 2), [0.8808, 0.1192, 0, 0]],
    // T = 2, top-3: [0.4551, 0.2760, 0.1674] / 0.8985 = [0.5065, 0.3072, 0.1863];
    // top-p 0.8: 0.5065 < 0.8 <= 0.8137 keeps two: sigmoid(0.5), sigmoid(-0.5)
    ['temperature 2 + top-k 3 + top-p 0.8', sp(2, 3, 0.8), [0.6225, 0.3775, 0, 0]],
    ['temperature 0: point mass on argmax', sp(0, 3, 0.5), [1, 0, 0, 0]],
  ];
  for (const [name, s, expected] of table) {
    it(name, () => {
      const p = probabilities(LOGITS, s);
      expect(p).to.be.instanceOf(Float64Array);
      expectClose(p, expected);
      expect(p.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-12);
    });
  }

  it('writes into a Float32Array when given one (a draft q)', () => {
    const out = new Float32Array(4);
    expect(probabilities(LOGITS, sp(1, 2), out)).to.equal(out);
    expectClose(out, [0.7311, 0.2689, 0, 0]);
  });

  it('breaks ties toward the lower token id (argmax, top-k and top-p alike)', () => {
    const tied = Float32Array.of(0, 3, 3, 1);
    expectClose(probabilities(tied, sp(0)), [0, 1, 0, 0]);
    expectClose(probabilities(tied, sp(1, 1)), [0, 1, 0, 0]);
    expectClose(probabilities(tied, sp(1, 0, 0.3)), [0, 1, 0, 0]);
  });

  it('keeps the nucleus at an exact top-p boundary (p = [0.5, 0.3, 0.2], top-p 0.8 keeps two)', () => {
    const p = probabilities(Float32Array.from([0.5, 0.3, 0.2], Math.log), sp(1, 0, 0.8));
    expectClose(p, [0.625, 0.375, 0], 1e-6);
  });

  it('is stable for huge logits and handles -Infinity', () => {
    expectClose(probabilities(Float32Array.of(1000, 999, -Infinity), sp(1)), [0.7311, 0.2689, 0]);
    expect(() => probabilities(Float32Array.of(-Infinity, -Infinity), sp(1))).to.throw(RangeError, /no finite maximum/);
  });

  /** The reference transform: a full sort of the vocabulary. */
  function bySort(logits: Float32Array, s: SamplingParams): Float64Array {
    const full = probabilities(logits, sp(s.temperature));
    const order = [...full.keys()].sort((a, b) => full[b] - full[a] || a - b);
    let m = s.topK > 0 ? Math.min(s.topK, order.length) : order.length;
    const mass = order.slice(0, m).reduce((acc, i) => acc + full[i], 0);
    let cum = 0;
    for (let j = 0; j < m; j++) {
      cum += full[order[j]] / mass;
      if (cum >= s.topP - 1e-12) {
        m = j + 1;
        break;
      }
    }
    const kept = order.slice(0, m);
    const total = kept.reduce((acc, i) => acc + full[i], 0);
    const out = new Float64Array(full.length);
    for (const i of kept) out[i] = full[i] / total;
    return out;
  }

  for (const [vocab, tied] of [
    [32000, false],
    [512, false],
    [512, true],
  ] as const) {
    it(`agrees with a full sort (vocabulary ${vocab}${tied ? ', many tied logits' : ''})`, () => {
      const rng = createRng(vocab + (tied ? 1 : 0));
      const logits = Float32Array.from({ length: vocab }, () => (tied ? Math.floor(4 * rng.uniform()) : 8 * rng.uniform()));
      for (const s of [sp(0.7, 0, 0.9), sp(1, 0, 0.3), sp(1.3, 0, 0.999), sp(1, 40, 0.7), sp(0.5, 7, 1)]) {
        const p = probabilities(logits, s);
        const ref = bySort(logits, s);
        let worst = 0;
        let keptDiffer = 0;
        for (let i = 0; i < p.length; i++) {
          if (p[i] > 0 !== ref[i] > 0) keptDiffer++;
          worst = Math.max(worst, Math.abs(p[i] - ref[i]));
        }
        expect(keptDiffer, `tokens kept differently, ${JSON.stringify(s)}`).to.equal(0);
        expect(worst, JSON.stringify(s)).to.be.below(1e-12);
      }
    });
  }

  it('never sorts the whole vocabulary (32000 tokens): top-k sorts the k kept, top-p selects its nucleus', () => {
    const rng = createRng(9);
    const logits = Float32Array.from({ length: 32000 }, () => 8 * rng.uniform());
    for (const s of [sp(1), sp(1, 50), sp(1, 0, 0.9)]) {
      const sorted = sortedLengths(() => probabilities(logits, s));
      expect(Math.max(0, ...sorted), `longest sort, ${JSON.stringify(s)}`).to.be.below(logits.length / 2);
    }
    expect(Math.max(0, ...sortedLengths(() => probabilities(logits, sp(1, 50))))).to.be.at.most(50);
    // The spy sees a full sort: a test that cannot fail is no test.
    expect(sortedLengths(() => Float64Array.from(logits).sort())).to.deep.equal([32000]);
  });
});

/** Lengths of every array and typed array sorted while `fn` runs (Array and typed-array sort are spied on). */
function sortedLengths(fn: () => unknown): number[] {
  const lengths: number[] = [];
  const protos = [Array.prototype, Float32Array.prototype, Float64Array.prototype, Int32Array.prototype, Uint32Array.prototype] as unknown as {
    sort: (this: ArrayLike<unknown>, ...a: unknown[]) => unknown;
  }[];
  const originals = protos.map((p) => p.sort);
  protos.forEach((p, i) => {
    p.sort = function (this: ArrayLike<unknown>, ...a: unknown[]) {
      lengths.push(this.length);
      return originals[i].apply(this, a);
    };
  });
  try {
    fn();
  } finally {
    protos.forEach((p, i) => (p.sort = originals[i]));
  }
  return lengths;
}

describe('softmaxAt(): softmax entries without a vocabulary-sized array', () => {
  it('equals probabilities() bit for bit at the requested tokens', () => {
    const rng = createRng(5);
    for (const temperature of [1, 0.7, 2]) {
      const logits = Float32Array.from({ length: 512 }, () => 8 * rng.uniform() - 4);
      const full = probabilities(logits, { temperature, topK: 0, topP: 1 });
      const tokens = [0, 17, 511, 17];
      expect(softmaxAt(logits, 1 / temperature, tokens)).to.deep.equal(tokens.map((t) => full[t]));
    }
  });

  it('refuses logits with no finite maximum', () => {
    expect(() => softmaxAt(Float32Array.from([NaN, NaN]), 1, [0])).to.throw(RangeError, /no finite maximum/);
  });
});

describe('sampling transform: checkSampling()', () => {
  const bad: [Partial<SamplingParams>, RegExp][] = [
    [{ temperature: -0.1 }, /sampling\.temperature must be a finite number >= 0.*-0\.1/],
    [{ temperature: NaN }, /sampling\.temperature.*NaN/],
    [{ topK: 1.5 }, /sampling\.topK must be an integer >= 0.*1\.5/],
    [{ topK: -1 }, /sampling\.topK/],
    [{ topP: 0 }, /sampling\.topP must be in \(0, 1\].*got 0/],
    [{ topP: 1.5 }, /sampling\.topP/],
    [{ topP: NaN }, /sampling\.topP/],
  ];
  for (const [change, message] of bad) {
    it(`rejects ${Object.entries(change)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ')} with a ConfigError naming the field`, () => {
      const s = { ...sp(1), ...change };
      expect(() => checkSampling(s)).to.throw(ConfigError, message);
      expect(() => probabilities(LOGITS, s)).to.throw(ConfigError, message);
    });
  }
  it('accepts the limits', () => {
    for (const s of [sp(0), sp(1, 0, 1), sp(3, 100, 1e-9)]) expect(checkSampling(s)).to.equal(s);
  });
});

describe('sampleFrom(): inverse CDF with one uniform', () => {
  const p = Float64Array.of(0.25, 0, 0.75);
  const table: [number, number][] = [
    [0, 0],
    [0.2499999, 0],
    [0.25, 2], // the zero-probability token 1 is skipped
    [0.9999999, 2],
  ];
  for (const [u, token] of table) {
    it(`u = ${u} -> token ${token}`, () => expect(sampleFrom(p, scriptedRng([u]))).to.equal(token));
  }
  it('scales by the total of unnormalized weights', () => {
    expect(sampleFrom(Float32Array.of(1, 3), scriptedRng([0.24]))).to.equal(0);
    expect(sampleFrom(Float32Array.of(1, 3), scriptedRng([0.26]))).to.equal(1);
  });
  it('never returns a zero-weight token, even at u -> 1 with rounding', () => {
    expect(sampleFrom(Float32Array.of(0.1, 0.2, 0.3, 0), scriptedRng([1 - 2 ** -53]))).to.equal(2);
  });
  it('rejects weights without mass', () => {
    expect(() => sampleFrom(Float64Array.of(0, 0), scriptedRng([0.5]))).to.throw(RangeError, /sum to 0/);
  });
});
