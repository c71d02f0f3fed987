import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Llama2cTokenizer } from '../../../src/model/formats/llama2c-tokenizer.js';
import { readLlama2cVocab } from '../../../src/model/formats/llama2c-vocab.js';
import { assertMutantsFailCleanly, expectCleanFailure, fuzzParams, loadsOrFailsCleanly, mutations, randomBytes, TempDir } from '../../support/fuzz.js';
import { modelFile } from '../../support/models-dir.js';

const VOCAB = 512;

/** Byte offsets where each token record of a llama2.c tokenizer file starts (and the end). */
function recordStarts(buf: Buffer): number[] {
  const starts = [0, 4];
  for (let off = 4; off + 8 <= buf.length;) {
    off += 8 + buf.readInt32LE(off + 4);
    starts.push(off);
  }
  return starts;
}

describe('llama2.c tokenizer reader: malformed files fail cleanly (fuzz)', () => {
  const tmp = new TempDir();
  let seed: Buffer;
  let file: string;
  const read =
    (vocabSize = VOCAB) =>
    (): unknown =>
      new Llama2cTokenizer(readLlama2cVocab(file, vocabSize));

  before(() => {
    seed = readFileSync(modelFile('stories260K/tok512.bin'));
    file = `${tmp.dir}/tok512.bin`;
  });
  after(() => tmp.remove());

  it('truncations at record boundaries, bit flips, overwrites and insertions of tok512.bin', () => {
    assertMutantsFailCleanly(tmp, 'tok512.bin', seed, mutations(seed.length, recordStarts(seed)), read(), fuzzParams(0x70c0, 200));
  });

  it('random bytes, and vocabulary sizes that do not match the file', () => {
    fc.assert(
      fc.property(randomBytes, (bytes) => {
        tmp.write('tok512.bin', bytes);
        loadsOrFailsCleanly(file, read(8));
      }),
      fuzzParams(0x70c1, 100),
    );
    tmp.write('tok512.bin', seed);
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 1024 }), fc.constantFrom(2 ** 31 - 1, 2 ** 40, -1)), (vocabSize) => {
        loadsOrFailsCleanly(file, read(vocabSize));
      }),
      fuzzParams(0x70c2, 50),
    );
  });

  it('a vocabulary size of 2^31 - 1 fails on the file size, without allocating for it', () => {
    tmp.write('tok512.bin', seed);
    expectCleanFailure(file, read(2 ** 31 - 1), /file ends after 512 tokens; the model expects a vocabulary of 2147483647 tokens/);
  });

  it('a token length past the end of the file, and a negative one', () => {
    const bad = Buffer.from(seed);
    bad.writeInt32LE(2 ** 31 - 1, 8);
    expectCleanFailure(tmp.write('tok512.bin', bad), read(), /token 0 has an invalid byte length 2147483647/);
    bad.writeInt32LE(-5, 8);
    expectCleanFailure(tmp.write('tok512.bin', bad), read(), /token 0 has an invalid byte length -5/);
  });
});
