/**
 * Suffix tree micro-benchmark (`npm run bench:suffix`): the cost of
 * appending a token to a request's suffix tree and of looking up the
 * speculation candidates, at history lengths up to 100k tokens. Both are
 * O(maxDepth), independent of the history (see src/speculators/suffix-tree.ts);
 * a naive longest-suffix search that rescans the history is shown for contrast.
 * History: a synthetic token stream over 512 ids mixing copies of earlier
 * phrases (half the time) with fresh Zipf-like tokens, like repetitive text.
 */
import { createRng } from '../core/rng.js';
import type { Rng } from '../core/types.js';
import { SuffixTrie } from '../speculators/suffix-tree.js';

const VOCAB = 512;
const MAX_DEPTH = 24;
const CHECKPOINTS = [1_000, 10_000, 30_000, 100_000, 200_000];
const OPS = 2_000;

/** The synthetic history: copy an earlier phrase of 4-20 tokens, or add a Zipf-like fresh token. */
function history(rng: Rng, n: number): Int32Array {
  const out = new Int32Array(n);
  let i = 0;
  while (i < n) {
    if (i > 50 && rng.uniform() < 0.5) {
      const len = 4 + Math.floor(rng.uniform() * 17);
      const from = Math.floor(rng.uniform() * (i - len));
      for (let j = 0; j < len && i < n; j++) out[i++] = out[from + j];
    } else {
      out[i++] = Math.min(VOCAB - 1, Math.floor(Math.exp(rng.uniform() * Math.log(VOCAB))));
    }
  }
  return out;
}

/** Longest suffix of h[0..n) (<= maxDepth) occurring earlier, by rescanning: O(n * maxDepth). */
function naiveMatch(h: Int32Array, n: number): number {
  let best = 0;
  for (let end = 0; end < n - 1; end++) {
    let len = 0;
    while (len < MAX_DEPTH && len <= end && h[end - len] === h[n - 1 - len]) len++;
    if (len > best) best = len;
  }
  return best;
}

/** Runs every measured code path once on a throw-away tree, so JIT compilation is not timed. */
function warmUp(h: Int32Array): void {
  const t = new SuffixTrie(MAX_DEPTH);
  let c = 0;
  for (let i = 0; i < 20_000; i++) c = t.extend(c, h[i], 1);
  for (let i = 0; i < 20_000; i++) t.continuations(t.continuation(t.advance(c, h[i])));
  for (let i = 0; i < 50; i++) naiveMatch(h, 5_000 - i);
}

function usPer(ops: number, fn: () => void): number {
  const t0 = performance.now();
  fn();
  return ((performance.now() - t0) * 1000) / ops;
}

/** Median of 5 timings. */
function median5(fn: () => number): number {
  const v = Array.from({ length: 5 }, fn).sort((a, b) => a - b);
  return v[2];
}

function main(): void {
  const h = history(createRng(7), CHECKPOINTS[CHECKPOINTS.length - 1]);
  warmUp(h);
  const trie = new SuffixTrie(MAX_DEPTH);
  let cursor = 0;
  let filled = 0;
  let sink = 0;
  console.log(`suffix tree, maxDepth ${MAX_DEPTH}, vocabulary ${VOCAB}; microseconds per operation`);
  console.log('append: amortized over the tokens since the previous row (array growth included); lookups: median of 5 x 2000');
  console.log('| history tokens | append (us) | root lookup (us) | row lookup (us) | naive rescan lookup (us) | tree nodes | tree MB |\n|---|---|---|---|---|---|---|');
  for (const n of CHECKPOINTS) {
    const added = n - filled;
    const append = usPer(added, () => {
      for (; filled < n; filled++) cursor = trie.extend(cursor, h[filled], 1);
    });
    const root = median5(() =>
      usPer(OPS, () => {
        for (let i = 0; i < OPS; i++) sink += trie.continuations(trie.continuation(cursor)).tokens.length; // the root row
      }),
    );
    const row = median5(() =>
      usPer(OPS, () => {
        // a tree row below the root with an arbitrary token: advance, then its candidates
        for (let i = 0; i < OPS; i++) sink += trie.continuations(trie.continuation(trie.advance(cursor, h[(i * 7919) % filled]))).tokens.length;
      }),
    );
    const naive = median5(() =>
      usPer(20, () => {
        for (let i = 0; i < 20; i++) sink += naiveMatch(h, filled - i);
      }),
    );
    const cells = [append.toFixed(2), root.toFixed(2), row.toFixed(2), naive.toFixed(0), trie.size.toLocaleString('en-US'), (trie.bytes / 1e6).toFixed(1)];
    console.log(`| ${n.toLocaleString('en-US')} | ${cells.join(' | ')} |`);
  }
  if (sink < 0) console.log(sink);
}

main();
