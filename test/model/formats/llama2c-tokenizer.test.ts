import { expect } from 'chai';
import { ConfigError, TokenizerError } from '../../../src/core/errors.js';
import { readLlama2cVocab, type Llama2cVocab } from '../../../src/model/formats/llama2c-vocab.js';
import { byteLevelVocab, Llama2cTokenizer } from '../../../src/model/formats/llama2c-tokenizer.js';
import { decodeText } from '../../../src/model/formats/tokenizer.js';
import { modelFile } from '../../support/models-dir.js';

/** A hand-made vocabulary: pieces (latin1 spelling of their bytes) with scores. */
function vocab(entries: [string, number][]): Llama2cVocab {
  const pieces = entries.map(([p]) => new Uint8Array(Buffer.from(p, 'latin1')));
  return { file: 'hand-made', maxTokenLength: 8, pieces, scores: Float32Array.from(entries.map(([, s]) => s)) };
}

const SPECIALS: [string, number][] = [
  ['<unk>', 0],
  ['\n<s>\n', 0],
  ['\n</s>\n', 0],
];

describe('Llama2cTokenizer (tok512.bin, run.c semantics)', () => {
  const tok = new Llama2cTokenizer(readLlama2cVocab(modelFile('stories260K/tok512.bin'), 512));
  const enc = (s: string, bos = true): number[] => Array.from(tok.encode(s, { bos }));

  it('has the special ids and the vocabulary size', () => {
    expect([tok.vocabSize, tok.bosId, tok.eosId]).to.deep.equal([512, 1, 2]);
    expect(tok.source).to.match(/tok512\.bin$/);
  });

  it('encodes the empty string to BOS alone (no dummy prefix)', () => {
    expect(enc('')).to.deep.equal([1]);
    expect(enc('', false)).to.deep.equal([]);
  });

  it('merges by score, hand-checked against tok512 scores', () => {
    // " a" (261, score -2) is the only merge of " ", "a".
    expect(enc('a')).to.deep.equal([1, 261]);
    expect(enc('a', false)).to.deep.equal([261]);
    // " ","a","b": " a" -2 merges, "ab" and " ab" are not pieces; "b" is 430.
    expect(enc('ab')).to.deep.equal([1, 261, 430]);
    // " ","h","e","l","l","o": "he" (-1) beats " h" (-11) and "ll" (-47); then " he" (-22) beats "ll";
    // then "ll"; " hell", "llo", "lo" are not pieces -> " he"(281) "ll"(306) "o"(414).
    expect(enc('hello')).to.deep.equal([1, 281, 306, 414]);
    // " ","O","n","c","e": " O" (-60) > "ce" (-72); " On" (-62) > "ce"; "ce"; " Once" (403, -144).
    // "upon": " u" (-59) ... -> " upon" (407); " a" (261); " time" (378).
    expect(enc('Once upon a time')).to.deep.equal([1, 403, 407, 261, 378]);
  });

  it('looks up whole UTF-8 characters, and falls back to bytes + 3 for unknown ones', () => {
    // "é" (C3 A9) is piece 485 ("\xc3\xa9"); " " alone is piece 410 and " é" is not a piece.
    expect(enc('é')).to.deep.equal([1, 410, 485]);
    // "ü" = C3 BC is not a piece: 0xC3 + 3 = 198, 0xBC + 3 = 191.
    expect(enc('ü')).to.deep.equal([1, 410, 198, 191]);
    // U+1F600 = F0 9F 98 80 -> 243, 162, 155, 131.
    expect(enc('😀')).to.deep.equal([1, 410, 243, 162, 155, 131]);
    // "\n" is not a piece: <0x0A> = 13.
    expect(enc('a\nb')).to.deep.equal([1, 261, 13, 430]);
  });

  it('round-trips decode(encode(s)) == s', () => {
    const texts = ['Once upon a time', 'Tom said, "Let\'s go!"\nThey went.\n\nThe end.', 'ü é 😀 日本語 ½ café', ' leading space', 'trailing spaces  ', 'tabs\tand\r\nCRLF', 'x'];
    for (const s of texts) expect(decodeText(tok, tok.encode(s)), JSON.stringify(s)).to.equal(s);
  });

  it('pieceBytes: run.c decode rules', () => {
    const str = (prev: number, t: number): string => Buffer.from(tok.pieceBytes(prev, t)).toString('latin1');
    expect(str(1, 261)).to.equal('a'); // leading space dropped after BOS
    expect(str(261, 261)).to.equal(' a');
    expect(str(1, 13)).to.equal('\n'); // <0x0A>
    expect(str(5, 198)).to.equal('\xc3'); // <0xC3>
    for (const special of [0, 1, 2]) expect(str(5, special)).to.equal(''); // "<unk>", "\n<s>\n", "\n</s>\n" print nothing
    expect(() => tok.pieceBytes(1, 512)).to.throw(TokenizerError, /token id 512 is outside the vocabulary/);
  });

  it('round-trips a few thousand characters', () => {
    const text = 'Once upon a time, there was a little girl named Lily. She loved to play outside. '.repeat(50);
    expect(decodeText(tok, tok.encode(text))).to.equal(text);
  });
});

describe('Llama2cTokenizer merge rules (hand-made vocabularies)', () => {
  const ids = (v: Llama2cVocab, s: string): number[] => Array.from(new Llama2cTokenizer(v).encode(s));

  it('the leftmost pair wins a tie (strictly greater comparison)', () => {
    // 3 " ", 4 "a", 5 "b", 6 " a", 7 "ab": both pairs score -1 -> " a" (leftmost) merges.
    const v = vocab([...SPECIALS, [' ', 0], ['a', 0], ['b', 0], [' a', -1], ['ab', -1]]);
    expect(ids(v, 'ab')).to.deep.equal([1, 6, 5]);
    // With "ab" scoring higher it merges first and " ab" is not a piece.
    const w = vocab([...SPECIALS, [' ', 0], ['a', 0], ['b', 0], [' a', -1], ['ab', -0.5]]);
    expect(ids(w, 'ab')).to.deep.equal([1, 3, 7]);
  });

  it('pieces scoring -1e10 or less never merge (run.c starts from best_score = -1e10)', () => {
    const v = vocab([...SPECIALS, [' ', 0], ['a', 0], [' a', -1e10]]);
    expect(ids(v, 'a')).to.deep.equal([1, 3, 4]);
    const w = vocab([...SPECIALS, [' ', 0], ['a', 0], [' a', -9.9e9]]);
    expect(ids(w, 'a')).to.deep.equal([1, 5]);
  });

  it('a duplicated piece maps to its lowest id', () => {
    const v = vocab([...SPECIALS, [' ', 0], ['a', 0], ['a', 0], [' a', -1], [' a', -1]]);
    expect(ids(v, 'a')).to.deep.equal([1, 6]);
  });

  it('merges chains into one piece and keeps BOS out of merges', () => {
    const v = vocab([...SPECIALS, [' ', 0], ['a', 0], ['b', 0], ['c', 0], ['bc', -1], [' a', -2], [' abc', -3]]);
    expect(ids(v, 'abc')).to.deep.equal([1, 9]);
    expect(Array.from(new Llama2cTokenizer(v).encode('abc', { bos: false }))).to.deep.equal([9]);
  });

  it('needs a " " piece to encode text', () => {
    const v = vocab([...SPECIALS, ['a', 0]]);
    expect(() => new Llama2cTokenizer(v).encode('a')).to.throw(TokenizerError, /no " " piece/);
    expect(Array.from(new Llama2cTokenizer(v).encode(''))).to.deep.equal([1]);
  });
});

describe('byteLevelVocab (synthetic tokenizer of random models)', () => {
  it('has specials, 256 byte pieces, printable ASCII, then fillers', () => {
    const v = byteLevelVocab(300);
    expect(v.pieces.length).to.equal(300);
    const text = (i: number): string => Buffer.from(v.pieces[i]).toString('latin1');
    expect([text(0), text(1), text(2), text(3), text(258), text(259), text(260)]).to.deep.equal(['<unk>', '<s>', '</s>', '<0x00>', '<0xFF>', ' ', '!']);
    expect(text(299)).to.equal('H'); // 0x20 + 40
    expect(Buffer.from(byteLevelVocab(400).pieces[399]).toString()).to.equal('<fill_399>');
  });

  it('encodes characters one by one and round-trips any text', () => {
    const tok = new Llama2cTokenizer(byteLevelVocab(300));
    // " " 259, "!" 260 ... "A" = 0x41 -> 259 + 0x21 = 292; "z" is not a piece: 0x7a + 3 = 125.
    expect(Array.from(tok.encode('Az'))).to.deep.equal([1, 259, 292, 125]);
    for (const s of ['Hello, world!\n', 'ü 😀 日本', '']) expect(decodeText(tok, tok.encode(s))).to.equal(s);
  });

  it('rejects too small sizes', () => {
    expect(() => byteLevelVocab(259)).to.throw(ConfigError, /at least 260/);
  });
});
