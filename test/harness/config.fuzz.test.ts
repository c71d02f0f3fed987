import fc from 'fast-check';
import { loadExperiment } from '../../src/harness/load.js';
import { assertMutantsFailCleanly, expectCleanFailure, fuzzParams, loadsOrFailsCleanly, mutations, TempDir } from '../support/fuzz.js';
import { useTestModelsDir } from '../support/models-dir.js';

const VALID =
  [
    'target: stories260K',
    'speculator: &s {kind: ngram, maxN: 3}',
    'workload: [story-openings]',
    'seeds: [1, 2]',
    'maxTokens: 8',
    'policy: {kind: static, expansion: [1, 2, 1]}',
    'sweep:',
    '  maxTokens: [8, 16]',
  ].join('\n') + '\n';

/** Ten levels of ten aliases each: 10^10 nodes when expanded. */
function billionLaughs(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n') + '\n';
}

describe('experiment files: malformed YAML fails cleanly (fuzz)', () => {
  const tmp = new TempDir();
  let file: string;
  const read = (): unknown => loadExperiment(file);

  before(() => {
    useTestModelsDir();
    file = `${tmp.dir}/exp.yaml`;
  });
  after(() => tmp.remove());

  it('the seed file loads', () => {
    tmp.write('exp.yaml', VALID);
    read();
  });

  it('byte mutations (including non-UTF-8 bytes) of a valid file', () => {
    const seed = Buffer.from(VALID);
    const lineStarts = [...VALID.matchAll(/\n/g)].map((m) => (m.index ?? 0) + 1);
    assertMutantsFailCleanly(tmp, 'exp.yaml', seed, mutations(seed.length, lineStarts), read, fuzzParams(0xc0f0, 120));
  });

  it('random YAML-ish text and random values under each key', () => {
    const yamlChars = fc.string({ unit: fc.constantFrom(...'ab: -[]{},&*!|>\'"#\n\t 1.%@`?'.split('')), maxLength: 120 });
    const keys = ['target', 'speculator', 'workload', 'seeds', 'maxTokens', 'policy', 'sweep', 'verifier', 'sampling'];
    fc.assert(
      fc.property(yamlChars, fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 }), (junk, key, value) => {
        tmp.write('exp.yaml', junk);
        loadsOrFailsCleanly(file, read);
        tmp.write('exp.yaml', `${VALID}${key}: ${JSON.stringify(value)}\n`);
        loadsOrFailsCleanly(file, read);
      }),
      fuzzParams(0xc0f1, 120),
    );
  });

  it('an alias bomb (billion laughs), deep nesting, duplicate keys', () => {
    tmp.write('exp.yaml', billionLaughs());
    expectCleanFailure(file, read, /^.*exp\.yaml:1: YAML: Excessive alias count .* \(aliases expand too far\)$/);
    tmp.write('exp.yaml', `target: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    loadsOrFailsCleanly(file, read);
    tmp.write('exp.yaml', `${VALID}seeds: [3]\n`);
    expectCleanFailure(file, read, /exp\.yaml:9: YAML: Map keys must be unique/);
  });
});
