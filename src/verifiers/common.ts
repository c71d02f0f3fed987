/**
 * Pieces shared by the verifiers: tree rows and their children, the target
 * distribution at a row, the ratio test and the residual of rejection
 * sampling. Rows: 0 = the root, i + 1 = node i (the Logits convention).
 */
import type { Logits } from '../core/model.js';
import type { Rng } from '../core/types.js';
import type { Draw, DraftTree } from '../tree/draft-tree.js';
import { probabilities, sampleFrom } from '../sampling/transform.js';
import type { SamplingParams } from '../sampling/params.js';
import type { VerifyResult } from './types.js';

/** Child node indices of every row, in node order: [n + 1]. */
export function rowChildren(tree: DraftTree): number[][] {
  const n = tree.tokens.length;
  const out: number[][] = Array.from({ length: n + 1 }, () => []);
  for (let i = 0; i < n; i++) out[tree.parents[i] + 1].push(i);
  return out;
}

/** Throws unless `target` has a row for the root and every node. */
export function checkRows(verifier: string, tree: DraftTree, target: Logits): void {
  const need = tree.tokens.length + 1;
  if (target.rows < need) {
    throw new RangeError(`${verifier} verifier: the tree has ${need - 1} nodes, so it needs ${need} target rows, got ${target.rows}`);
  }
}

/**
 * The draws of row `row` (0 = root), checked: each draw's child hangs below
 * this row, its q (if any) covers the vocabulary, and every child node of
 * the row has at least one draw.
 */
export function drawsAt(verifier: string, tree: DraftTree, row: number, children: readonly number[], vocab: number): readonly Draw[] {
  const draws = tree.draws[row] ?? [];
  for (const d of draws) {
    if (d.q !== null && d.q.length !== vocab) {
      throw new RangeError(`${verifier} verifier: a draw of row ${row} has a q of ${d.q.length} entries but the target's vocabulary is ${vocab}`);
    }
    if (tree.parents[d.child] + 1 !== row) {
      throw new RangeError(`${verifier} verifier: a draw of row ${row} names node ${d.child}, whose parent row is ${tree.parents[d.child] + 1}`);
    }
  }
  for (const c of children) {
    if (!draws.some((d) => d.child === c)) {
      throw new RangeError(
        `${verifier} verifier: node ${c} (token ${tree.tokens[c]}) has no draw in row ${row}; ` +
          'speculators must record a Draw (q = null for a deterministic choice) for every node they add',
      );
    }
  }
  return draws;
}

/** P_llm(. | row): the target's distribution at `row` after the sampling transform (float64, sums to 1). */
export function targetAt(target: Logits, row: number, s: SamplingParams): Float64Array {
  return probabilities(target.row(row), s);
}

/**
 * The acceptance test of rejection sampling for a draw of token x with
 * proposal q (null = the point mass on x): r ~ U[0, 1), accept iff
 * r < p(x) / q(x). P(accept) = min(1, p(x) / q(x)) exactly (the paper's
 * r <= ratio with r ~ U(0, 1]); p(x) = 0 never accepts.
 */
export function acceptDraw(p: Float64Array, x: number, q: Float32Array | Float64Array | null, rng: Rng): boolean {
  const r = rng.uniform();
  const qx = q === null ? 1 : q[x];
  if (!(p[x] > 0)) return false;
  return r < p[x] / qx;
}

/**
 * Residual masses at or below this are treated as rounding noise. The
 * residual's mass sum(max(0, p - q)) is also the probability of the rejection
 * that produced it, so the guard changes the output distribution by at most
 * this much in total variation; float32 q's rounding alone leaves ~1e-7.
 */
const RESIDUAL_EPS = 1e-6;

/**
 * After rejecting a draw of x from q: p := norm(max(0, p - q)) in place (for
 * the point mass: p(x) := 0, renormalized). A residual without mass is only
 * possible when p <= q everywhere, i.e. p == q, where acceptance was certain
 * and the rejection a rounding artefact: then p is left unchanged. Returns p.
 */
export function residualInPlace(p: Float64Array, x: number, q: Float32Array | Float64Array | null): Float64Array {
  let mass = 0;
  if (q === null) {
    for (let i = 0; i < p.length; i++) if (i !== x) mass += p[i];
    if (mass <= RESIDUAL_EPS) return p;
    p[x] = 0;
  } else {
    for (let i = 0; i < p.length; i++) mass += Math.max(0, p[i] - q[i]);
    if (mass <= RESIDUAL_EPS) return p;
    for (let i = 0; i < p.length; i++) p[i] = Math.max(0, p[i] - q[i]);
  }
  for (let i = 0; i < p.length; i++) p[i] /= mass;
  return p;
}

/** What a verifier decides at one row: accept child node `child` and walk on from it, or stop and emit `next`. */
export type Decision = { readonly child: number } | { readonly next: number };

/**
 * The walk every tree verifier makes: from the root (row 0), decide(u,
 * child nodes of u) at each row u until it stops; the emitted token is
 * labelled 'bonus' when u has no children, else 'recovered'. Checks the
 * target's rows first.
 */
export function walk(verifier: string, tree: DraftTree, target: Logits, decide: (u: number, children: readonly number[]) => Decision): VerifyResult {
  checkRows(verifier, tree, target);
  const children = rowChildren(tree);
  const path: number[] = [];
  for (let u = 0; ;) {
    const d = decide(u, children[u]);
    if ('next' in d) return { path: Int32Array.from(path), next: d.next, nextKind: children[u].length > 0 ? 'recovered' : 'bonus' };
    path.push(d.child);
    u = d.child + 1; // row of the accepted child
  }
}

/** Ends a walk at `row`: emits x ~ p and labels it bonus (leaf) or recovered. */
export function finish(path: number[], p: Float64Array, hasChildren: boolean, rng: Rng): VerifyResult {
  return { path: Int32Array.from(path), next: sampleFrom(p, rng), nextKind: hasChildren ? 'recovered' : 'bonus' };
}
