import { expect } from 'chai';
import { SuffixTrie } from '../../src/speculators/suffix-tree.js';

/** Node of string w from the root (-1 if absent). */
function nodeOf(t: SuffixTrie, w: readonly number[]): number {
  let v = 0;
  for (const x of w) {
    v = t.child(v, x);
    if (v < 0) return -1;
  }
  return v;
}

// positions:  0  1  2  3  4  5  6  7  8  9 10
const SEQ = [1, 2, 3, 1, 2, 4, 1, 2, 3, 1, 2];

describe('suffix tree (depth-limited suffix trie with counts and suffix links)', () => {
  const t = new SuffixTrie(4);
  t.addSequence(SEQ, 1);

  /** Occurrences counted by hand in SEQ. */
  const counts: [number[], number][] = [
    [[1], 4],
    [[2], 4],
    [[3], 2],
    [[4], 1],
    [[1, 2], 4],
    [[2, 3], 2],
    [[3, 1], 2],
    [[1, 2, 3], 2],
    [[1, 2, 4], 1],
    [[2, 3, 1, 2], 2],
    [[3, 1, 2, 4], 1],
    [[1, 2, 3, 1], 2],
  ];
  for (const [w, n] of counts) {
    it(`count("${w.join(' ')}") = ${n}`, () => expect(t.countOf(nodeOf(t, w))).to.equal(n));
  }

  it('nothing deeper than maxDepth, nothing that never occurred', () => {
    expect(nodeOf(t, [1, 2, 3, 1, 2])).to.equal(-1);
    expect(nodeOf(t, [4, 4])).to.equal(-1);
  });

  it('continuations of "1 2": 3 (twice), 4 (once), of 4 occurrences followed by a token', () => {
    expect(t.continuations(nodeOf(t, [1, 2]))).to.deep.equal({ tokens: [3, 4], counts: [2, 1], total: 3 });
  });

  it('match(history) is the longest present suffix; continuation() the deepest one with a next token', () => {
    const m = t.match(SEQ);
    expect(m).to.equal(nodeOf(t, [2, 3, 1, 2])); // depth 4 = maxDepth: no children
    const c = t.continuation(m);
    expect(c).to.equal(nodeOf(t, [3, 1, 2])); // "3 1 2" at 2-4 was followed by 4
    expect(t.continuations(c)).to.deep.equal({ tokens: [4], counts: [1], total: 1 });
  });

  it('advance follows suffix links: "2 3 1 2" + 4 -> "3 1 2 4"; + 9 (unseen) -> the root', () => {
    const m = t.match(SEQ);
    expect(t.advance(m, 4)).to.equal(nodeOf(t, [3, 1, 2, 4]));
    expect(t.advance(m, 9)).to.equal(0);
    expect(t.advance(nodeOf(t, [1, 2, 4]), 3)).to.equal(nodeOf(t, [3])); // "1 2 4 3", "2 4 3", "4 3" never occurred
  });

  it('removing a sequence lowers counts; nodes at 0 count as absent', () => {
    const u = new SuffixTrie(3);
    u.addSequence([1, 2, 3], 1);
    u.addSequence([1, 2, 4], 1);
    expect(u.continuations(nodeOf(u, [1, 2]))).to.deep.equal({ tokens: [3, 4], counts: [1, 1], total: 2 });
    u.addSequence([1, 2, 3], -1);
    expect(u.continuations(nodeOf(u, [1, 2]))).to.deep.equal({ tokens: [4], counts: [1], total: 1 });
    expect(nodeOf(u, [3])).to.equal(-1);
    expect(u.match([2, 3])).to.equal(0);
    u.addSequence([1, 2, 3], 1); // revived without new nodes
    expect(u.countOf(nodeOf(u, [2, 3]))).to.equal(1);
  });

  it('one node per distinct substring of length <= maxDepth: a repeated phrase adds no nodes', () => {
    const u = new SuffixTrie(8);
    const phrase = [5, 6, 7, 8, 9];
    u.addSequence(phrase, 1);
    const before = u.size;
    for (let r = 0; r < 50; r++) u.addSequence(phrase, 1);
    expect(u.size).to.equal(before);
    expect(u.countOf(nodeOf(u, phrase))).to.equal(51);
  });

  it('counts equal a brute-force count on a random sequence (maxDepth 5, 2000 tokens over 6 symbols)', () => {
    const u = new SuffixTrie(5);
    let x = 7;
    const seq = Array.from({ length: 2000 }, () => ((x = (x * 1103515245 + 12345) % 2147483648), x % 6));
    let cursor = 0;
    for (const tok of seq) cursor = u.extend(cursor, tok, 1);
    for (let trial = 0; trial < 200; trial++) {
      const len = 1 + (trial % 5);
      const start = (trial * 37) % (seq.length - len);
      const w = seq.slice(start, start + len);
      let n = 0;
      for (let i = 0; i + len <= seq.length; i++) if (w.every((v, j) => seq[i + j] === v)) n++;
      expect(u.countOf(nodeOf(u, w)), w.join(' ')).to.equal(n);
    }
  });
});
