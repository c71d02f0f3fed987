/**
 * Step timings of the speculative loop at batch > 1, with a fake clock that
 * each fake component advances by a known amount: a record times only its own
 * request's verify and commit, shared work (proposals, the batched target
 * forward) carries its forward id.
 */
import { expect } from 'chai';
import type { Logits, Model, Sequence } from '../../src/core/model.js';
import { createRng } from '../../src/core/rng.js';
import type { Clock } from '../../src/core/types.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import type { Speculator, SpeculatorSession } from '../../src/speculators/types.js';
import type { DraftTree } from '../../src/tree/draft-tree.js';
import { ConfigError } from '../../src/core/errors.js';
import { createVerifier, GREEDY, type Verifier } from '../../src/verifiers/index.js';

/** Milliseconds each fake component advances the clock by. */
const MS = { open: 7, begin: 5, propose: 2, score: 10, verify: 3, observe: 1 };

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return { nowMs: () => now, advance: (ms) => (now += ms) };
}

const EMPTY: DraftTree = {
  tokens: new Int32Array(0),
  parents: new Int32Array(0),
  depths: new Int32Array(0),
  proposerIds: [],
  proposedBy: new Uint32Array(0),
  draws: [[]],
};

const ROW: Logits = { rows: 1, vocabSize: 4, row: () => new Float32Array([0, 1, 0, 0]) };

function fakeTarget(clock: ReturnType<typeof fakeClock>): Model {
  const open = async (prompt: Int32Array): Promise<Sequence> => {
    clock.advance(MS.open);
    const tokens = Array.from(prompt);
    return {
      get committedLength() {
        return tokens.length - 1;
      },
      get root() {
        return tokens[tokens.length - 1];
      },
      tokens,
      get length() {
        return tokens.length;
      },
      score: async () => ROW,
      commit: (_path, next) => void tokens.push(next),
    };
  };
  return {
    info: { id: 'fake', vocabSize: 4, maxContext: 64, bosId: 0, eosIds: [3] },
    open,
    scoreBatch: async (sequences) => {
      clock.advance(MS.score);
      return sequences.map(() => ROW);
    },
    dispose: async () => undefined,
  };
}

function fakeSpeculator(clock: ReturnType<typeof fakeClock>): Speculator {
  const session: SpeculatorSession = {
    propose: async () => {
      clock.advance(MS.propose);
      return EMPTY;
    },
    // Advances the clock before its promise settles, as real work before an await would.
    observe: async () => void clock.advance(MS.observe),
  };
  return { kind: 'fake', treeTraits: () => ({ children: 'none', chain: true }), begin: async () => (clock.advance(MS.begin), session), dispose: async () => undefined };
}

function fakeVerifier(clock: ReturnType<typeof fakeClock>): Verifier {
  return {
    kind: 'fake',
    exactFor: () => true,
    verify: () => {
      clock.advance(MS.verify);
      return { path: new Int32Array(0), next: 1, nextKind: 'bonus' };
    },
  };
}

describe('decodeSpeculative: step timings at batch > 1', () => {
  async function decode() {
    const clock = fakeClock();
    const requests = [0, 1].map((i) => ({ prompt: Int32Array.from([0, 2]), rng: createRng(i) }));
    return decodeSpeculative(fakeTarget(clock), fakeSpeculator(clock), fakeVerifier(clock), requests, {
      maxTokens: 3,
      stopTokens: [3],
      sampling: GREEDY,
      maxNodes: 4,
      clock,
    });
  }

  it('times each request own verify and commit only (no other request interleaved)', async () => {
    const { records } = await decode();
    expect(records).to.have.length(6);
    for (const r of records) {
      expect(r.verifyMs).to.equal(MS.verify);
      expect(r.commitMs).to.equal(MS.observe);
    }
  });

  it('shares the proposals wall time equally and carries the whole batched forward once per forward id', async () => {
    const { records, forwards } = await decode();
    expect(forwards).to.equal(3);
    expect(records.map((r) => r.forward)).to.deep.equal([0, 0, 1, 1, 2, 2]);
    // Two concurrent proposals advance the clock twice: 2 x 2 ms, an equal share each.
    for (const r of records) expect([r.proposeMs, r.scoreMs]).to.deep.equal([MS.propose, MS.score]);
  });

  it('splits the wall time into the requests opening (prefill) and the decoding steps after it', async () => {
    const { prefillMs, decodeMs } = await decode();
    expect(prefillMs).to.equal(2 * (MS.open + MS.begin));
    // 3 steps, each: two proposals, one batched forward, two verify + observe.
    expect(decodeMs).to.equal(3 * (2 * MS.propose + MS.score + 2 * (MS.verify + MS.observe)));
  });
});

describe('decodeSpeculative: a verifier that is not exact for the sampling', () => {
  const T1 = { temperature: 1, topK: 0, topP: 1 };
  const decode = (allowLossy?: boolean) => {
    const clock = fakeClock();
    const opts = { maxTokens: 2, stopTokens: [3], sampling: T1, maxNodes: 4, allowLossy, clock };
    return decodeSpeculative(fakeTarget(clock), fakeSpeculator(clock), createVerifier('greedy'), [{ prompt: Int32Array.from([0, 2]), rng: createRng(0) }], opts);
  };

  it('is refused before any step (greedy at temperature 1 would silently return greedy text)', async () => {
    let err: unknown;
    await decode().catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.equal(
      "the greedy verifier is not exact for fake's trees at temperature 1: decode with the sampling the run was built for (run.sampling), or pass allowLossy: true",
    );
  });

  it('runs when allowLossy says so', async () => {
    const { outputs } = await decode(true);
    expect(Array.from(outputs[0].tokens)).to.deep.equal([1, 1]);
  });
});
