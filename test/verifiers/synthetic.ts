/**
 * A synthetic small-vocabulary world for the verifiers' distribution tests:
 * a target and a few drafts whose next-token distributions depend on the
 * last token (fixed random tables from a seeded rng), trees built the way
 * speculators build them (sampled / top-k children, several proposers
 * merged into a prefix trie, duplicates kept as separate draws), and a
 * mini two-step decode that returns the first two emitted tokens.
 */
import type { Logits } from '../../src/core/model.js';
import { createRng, normal } from '../../src/core/rng.js';
import type { Rng } from '../../src/core/types.js';
import type { Draw, DraftTree } from '../../src/tree/draft-tree.js';
import { probabilities, sampleFrom } from '../../src/verifiers/sampling.js';
import type { SamplingParams, Verifier } from '../../src/verifiers/types.js';

export interface World {
  readonly vocab: number;
  /** Target logits after each last token: [vocab][vocab]. */
  readonly target: readonly Float32Array[];
  /** Draft k's logits after each last token: [drafts][vocab][vocab]. */
  readonly drafts: readonly (readonly Float32Array[])[];
}

/**
 * Target logits ~ N(0, spread^2) per row; draft k = target + N(0, noise[k]^2)
 * (noise large = a poor draft), scaled by sharpen[k] (> 1 = a peakier draft).
 */
export function makeWorld(seed: number, vocab: number, spread: number, noise: readonly number[], sharpen?: readonly number[]): World {
  const rng = createRng(seed);
  const target = Array.from({ length: vocab }, () => Float32Array.from({ length: vocab }, () => spread * normal(rng)));
  const drafts = noise.map((sigma, k) =>
    target.map((row) => Float32Array.from(row, (l) => (l + sigma * normal(rng)) * (sharpen?.[k] ?? 1))),
  );
  return { vocab, target, drafts };
}

/**
 * How one proposer grows its own tree: `widths[d]` children per node at
 * depth d. 'sampled': i.i.d. draws from q (with replacement); 'topk': the
 * widths[d] most probable tokens of q, declared as point masses (q = null);
 * 'topk-lossy': the same tokens but declared with the draft's q (wrong).
 */
export interface ProposerSpec {
  readonly draft: number;
  readonly mode: 'sampled' | 'topk' | 'topk-lossy';
  readonly widths: readonly number[];
}

/** Builds the prefix-trie merge of every proposer's tree below `root`. */
export function buildTree(world: World, root: number, specs: readonly ProposerSpec[], s: SamplingParams, rng: Rng): DraftTree {
  const tokens: number[] = [];
  const parents: number[] = [];
  const depths: number[] = [];
  const proposedBy: number[] = [];
  const draws: Draw[][] = [[]];
  // Rows to expand, breadth first: row (0 = root), its token, depth, and the proposers whose trees reach it.
  const queue: { row: number; token: number; depth: number; who: number[] }[] = [{ row: 0, token: root, depth: 0, who: specs.map((_, k) => k) }];
  for (let head = 0; head < queue.length; head++) {
    const { row, token, depth, who } = queue[head];
    const trie = new Map<number, number>(); // token -> node, below this row
    const reach = new Map<number, Set<number>>(); // node -> proposers reaching it
    for (const k of who) {
      const spec = specs[k];
      const width = spec.widths[depth] ?? 0;
      if (width === 0) continue;
      const q = probabilities(world.drafts[spec.draft][token], s, new Float32Array(world.vocab));
      const picks = spec.mode === 'sampled' ? Array.from({ length: width }, () => sampleFrom(q, rng)) : topTokens(q, width);
      for (const x of picks) {
        let node = trie.get(x);
        if (node === undefined) {
          node = tokens.length;
          trie.set(x, node);
          reach.set(node, new Set());
          tokens.push(x);
          parents.push(row - 1);
          depths.push(depth + 1);
          proposedBy.push(0);
          draws.push([]);
        }
        reach.get(node)?.add(k);
        proposedBy[node] |= 1 << k;
        draws[row].push({ child: node, proposer: k, q: spec.mode === 'topk' ? null : q });
      }
    }
    for (const [node, ks] of reach) queue.push({ row: node + 1, token: tokens[node], depth: depth + 1, who: [...ks] });
  }
  return {
    tokens: Int32Array.from(tokens),
    parents: Int32Array.from(parents),
    depths: Int32Array.from(depths),
    proposerIds: specs.map((sp, k) => `p${k}:${sp.mode}`),
    proposedBy: Uint32Array.from(proposedBy),
    draws,
  };
}

/** The n most probable tokens of q (ties: lower id first). */
function topTokens(q: Float32Array, n: number): number[] {
  return [...q.keys()].sort((a, b) => q[b] - q[a] || a - b).slice(0, n);
}

/** Target logits for `tree` below `root`: row 0 = the root, row i + 1 = node i (the world is order-1 Markov). */
export function treeLogits(world: World, root: number, tree: DraftTree): Logits {
  return {
    rows: tree.tokens.length + 1,
    vocabSize: world.vocab,
    row: (i) => world.target[i === 0 ? root : tree.tokens[i - 1]],
  };
}

export interface DecodeSetup {
  readonly world: World;
  readonly specs: readonly ProposerSpec[];
  readonly sampling: SamplingParams;
  readonly verifier: Verifier;
  /** Optional rewrite of each built tree (e.g. a wrong declaration of its draws). */
  readonly rewrite?: (tree: DraftTree) => DraftTree;
}

/** Tokens emitted by one verification step at `root`: the accepted path, then the next token. */
export function step(d: DecodeSetup, root: number, treeRng: Rng, verifyRng: Rng): { emitted: number[]; accepted: number } {
  const built = buildTree(d.world, root, d.specs, d.sampling, treeRng);
  const tree = d.rewrite ? d.rewrite(built) : built;
  const res = d.verifier.verify(tree, treeLogits(d.world, root, tree), d.sampling, verifyRng);
  return { emitted: [...Array.from(res.path, (i) => tree.tokens[i]), res.next], accepted: res.path.length };
}

/** The first two tokens generated after `root` by speculative decoding (a second step when the first emitted one). */
export function firstTwo(d: DecodeSetup, root: number, treeRng: Rng, verifyRng: Rng): [number, number] {
  const a = step(d, root, treeRng, verifyRng).emitted;
  if (a.length >= 2) return [a[0], a[1]];
  const b = step(d, a[0], treeRng, verifyRng).emitted;
  return [a[0], b[0]];
}

/** Exact target probabilities of the first token and of the first two tokens (key a * vocab + b). */
export function exactTargets(world: World, root: number, s: SamplingParams): { first: Map<number, number>; two: Map<number, number> } {
  const p = (t: number): Float64Array => probabilities(world.target[t], s);
  const p0 = p(root);
  const first = new Map<number, number>();
  const two = new Map<number, number>();
  for (let a = 0; a < world.vocab; a++) {
    first.set(a, p0[a]);
    const pa = p(a);
    for (let b = 0; b < world.vocab; b++) two.set(a * world.vocab + b, p0[a] * pa[b]);
  }
  return { first, two };
}
