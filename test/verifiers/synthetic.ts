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
import type { DistinctDraws, Draw, DraftTree } from '../../src/tree/draft-tree.js';
import { gumbelTopK } from '../../src/tree/distinct.js';
import { probabilities, sampleFrom } from '../../src/sampling/transform.js';
import type { SamplingParams } from '../../src/sampling/params.js';
import type { Verifier } from '../../src/verifiers/types.js';

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
  const drafts = noise.map((sigma, k) => target.map((row) => Float32Array.from(row, (l) => (l + sigma * normal(rng)) * (sharpen?.[k] ?? 1))));
  return { vocab, target, drafts };
}

/**
 * How one proposer grows its own tree: `widths[d]` children per node at
 * depth d. 'sampled': i.i.d. draws from q (with replacement); 'topk': the
 * widths[d] most probable tokens of q, declared as point masses (q = null);
 * 'topk-lossy': the same tokens but declared with the draft's q (wrong);
 * 'distinct': draws without replacement (Gumbel-top-k), recorded for RSD;
 * 'distinct-pruned': the same, but only draws with q >= PRUNE_BELOW get a
 * node (a value-dependent cut; all stay recorded); 'iid-deduplicated':
 * i.i.d. draws, duplicates dropped, recorded in first-occurrence order (also
 * a without-replacement prefix: whether a further new value comes depends
 * only on the values seen before it).
 */
export interface ProposerSpec {
  readonly draft: number;
  readonly mode: 'sampled' | 'topk' | 'topk-lossy' | 'distinct' | 'distinct-pruned' | 'iid-deduplicated';
  readonly widths: readonly number[];
}

/** 'distinct-pruned' keeps a node for a draw only when q(x) is at least this. */
const PRUNE_BELOW = 0.15;

/** The tokens a proposer draws below one row (in draw order) and those that get a node. */
function pickTokens(mode: ProposerSpec['mode'], q: Float32Array, width: number, rng: Rng): { drawn: number[]; kept: number[] } {
  if (mode === 'topk' || mode === 'topk-lossy') return { drawn: topTokens(q, width), kept: topTokens(q, width) };
  if (mode === 'sampled') {
    const drawn = Array.from({ length: width }, () => sampleFrom(q, rng));
    return { drawn, kept: drawn };
  }
  if (mode === 'iid-deduplicated') {
    const drawn = [...new Set(Array.from({ length: width }, () => sampleFrom(q, rng)))];
    return { drawn, kept: drawn };
  }
  const drawn = gumbelTopK(q, width, rng);
  return { drawn, kept: mode === 'distinct' ? drawn : drawn.filter((x) => q[x] >= PRUNE_BELOW) };
}

const RECORDED: ReadonlySet<ProposerSpec['mode']> = new Set(['distinct', 'distinct-pruned', 'iid-deduplicated']);

/** Builds the prefix-trie merge of every proposer's tree below `root`. */
export function buildTree(world: World, root: number, specs: readonly ProposerSpec[], s: SamplingParams, rng: Rng): DraftTree {
  const tokens: number[] = [];
  const parents: number[] = [];
  const depths: number[] = [];
  const proposedBy: number[] = [];
  const draws: Draw[][] = [[]];
  const distinct: DistinctDraws[][] = [[]];
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
      const { drawn, kept } = pickTokens(spec.mode, q, width, rng);
      if (RECORDED.has(spec.mode)) distinct[row].push({ proposer: k, q, tokens: drawn });
      for (const x of kept) {
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
          distinct.push([]);
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
    ...(specs.some((sp) => RECORDED.has(sp.mode)) ? { distinct } : {}),
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
function step(d: DecodeSetup, root: number, treeRng: Rng, verifyRng: Rng): { emitted: number[]; accepted: number } {
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
