import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { readLlama2cCheckpoint } from '../../src/model/formats/llama2c.js';
import { readLlama2cVocab } from '../../src/model/formats/llama2c-vocab.js';
import { Llama2cTokenizer } from '../../src/model/formats/llama2c-tokenizer.js';
import { decodeText } from '../../src/model/formats/tokenizer.js';
import { modelFile } from '../support/models-dir.js';
import { argmax, ReferenceModel, referenceGreedy } from '../support/reference.js';
import { makeReferenceCases, referenceFixturePath, type ReferenceCase } from '../support/make-reference-fixtures.js';

/** The published output of run.c (greedy, 256 tokens from BOS) as in the model card models/README.md. */
const GOLDEN = [
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.',
  'Lily\'s mom said, "Lily, let\'s go to the park." Lily was sad and didn\'t know what to do. She said, "I want to play with your ball, but I can\'t find it."',
  "Lily was sad and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"",
  'Lily didn\'t want to help her mom, so she said, "I\'m sorry, mom. I didn\'t know what to do." Her mom said, "Don\'t worry, Lily. We can help you."',
].join('\n');

describe('reference model (stories260K)', () => {
  const weights = readLlama2cCheckpoint(modelFile('stories260K/stories260K.bin'));
  const tok = new Llama2cTokenizer(readLlama2cVocab(modelFile('stories260K/tok512.bin'), 512));

  // The golden text is 257 tokens of greedy output, not 256 as the README says: 256 tokens end with
  // `We can help you.` and the 257th token is the closing `"` (there is no near-tie and no pair of
  // generated tokens that is itself a piece, so no other 256-token sequence spells this text).
  it('greedy from BOS prints exactly the golden run.c text (257 tokens; 256 stop before the final quote)', () => {
    const generated = referenceGreedy(weights, Int32Array.of(1), 257);
    expect(generated.length).to.equal(257); // no BOS before the limit
    expect(decodeText(tok, [1, ...generated])).to.equal(GOLDEN);
    expect(decodeText(tok, [1, ...generated.subarray(0, 256)])).to.equal(GOLDEN.slice(0, -1));
    expect(Buffer.from(tok.pieceBytes(generated[255], generated[256])).toString()).to.equal('"');
  });

  it('forward is deterministic and reset() restarts the cache', () => {
    const m = new ReferenceModel(weights);
    const a = [m.forward(1, 0), m.forward(403, 1)];
    m.reset();
    const b = [m.forward(1, 0), m.forward(403, 1)];
    expect(Array.from(b[1])).to.deep.equal(Array.from(a[1]));
    expect(a[1].length).to.equal(512);
  });

  it('referenceGreedy: maxNew and prompt handling match step-by-step forward', () => {
    const prompt = tok.encode('Tom and his dog');
    const out = referenceGreedy(weights, prompt, 5);
    const m = new ReferenceModel(weights);
    let logits: Float32Array = new Float32Array(0);
    prompt.forEach((t, p) => (logits = m.forward(t, p)));
    const manual: number[] = [];
    for (let i = 0; i < 5; i++) {
      manual.push(argmax(logits));
      logits = m.forward(manual[i], prompt.length + i);
    }
    expect(Array.from(out)).to.deep.equal(manual);
    expect(referenceGreedy(weights, prompt, 0).length).to.equal(0);
  });

  it('test/fixtures/reference-tokens.json is up to date (regenerate with make-reference-fixtures.js)', () => {
    const stored = JSON.parse(readFileSync(referenceFixturePath(), 'utf8')) as ReferenceCase[];
    expect(stored.length).to.equal(5);
    expect(stored).to.deep.equal(makeReferenceCases());
    for (const c of stored) {
      expect(c.tokens.length).to.equal(128);
      expect(Array.from(tok.encode(c.prompt))).to.deep.equal(c.promptTokens);
    }
  });
});
