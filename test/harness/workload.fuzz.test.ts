import fc from 'fast-check';
import { readWorkload } from '../../src/harness/workload.js';
import { assertMutantsFailCleanly, expectCleanFailure, fuzzParams, loadsOrFailsCleanly, mutations, TempDir } from '../support/fuzz.js';

const VALID = ['{"id": "a", "prompt": "Once upon a time"}', '', '{"prompt": "The dog"}', '{"id": "c", "prompt": "\\u00e9t\\u00e9"}'].join('\n') + '\n';

describe('workload files: malformed JSONL fails cleanly (fuzz)', () => {
  const tmp = new TempDir();
  let file: string;
  const read = (): unknown => readWorkload(file);

  before(() => {
    file = tmp.write('w.jsonl', VALID);
  });
  after(() => tmp.remove());

  it('byte mutations (including non-UTF-8 bytes) of a valid file', () => {
    const seed = Buffer.from(VALID);
    assertMutantsFailCleanly(
      tmp,
      'w.jsonl',
      seed,
      mutations(
        seed.length,
        [...VALID.matchAll(/\n/g)].map((m) => m.index ?? 0),
      ),
      read,
      fuzzParams(0x3017, 200),
    );
  });

  it('lines of random JSON values and random text', () => {
    const line = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 40 }),
      fc.record({ id: fc.jsonValue({ maxDepth: 1 }), prompt: fc.jsonValue({ maxDepth: 1 }) }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
        tmp.write('w.jsonl', lines.join('\n'));
        loadsOrFailsCleanly(file, read);
      }),
      fuzzParams(0x3018, 200),
    );
  });

  it('a line that is not JSON, and one with a prompt of the wrong type, name the file and the line', () => {
    tmp.write('w.jsonl', `${VALID}{"prompt": "x"\n`);
    expectCleanFailure(file, read, /w\.jsonl:5: not valid JSON/);
    tmp.write('w.jsonl', `${VALID}{"prompt": 5}\n`);
    expectCleanFailure(file, read, /w\.jsonl:5: each line must be an object with a string "prompt"/);
  });
});
