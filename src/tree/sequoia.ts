/**
 * Optimal tree shapes (Sequoia, Chen et al. 2024, arXiv 2402.12374).
 *
 * Model: the draft ranks its candidates after every node; the target's
 * token is the draft's rank-r candidate with probability p_r (r = 1..K, a
 * per-rank acceptance vector measured on a calibration run, sum <= 1), the
 * same at every node and independently along a path. A node whose children
 * are the ranks 1..k is reached with probability P; its rank-r child is then
 * accepted with probability P * p_r. The expected number of accepted tokens
 * of a tree is the sum over its nodes of the probability that the node is
 * accepted, i.e. of the products of p_rank along its root path.
 *
 * Dynamic programming over (node budget, depth), with
 *   G(n, d)    = best expected accepted tokens of at most n nodes hung below
 *                one node, at most d levels deep (G(n, 0) = G(0, d) = 0);
 *   H(n, d, r) = the same, using only children of ranks r, r+1, ..., K
 *                (H(n, d, K + 1) = 0):
 *   H(n, d, r) = max( 0,                                   no child of rank r (nor later)
 *                     max_{m = 1..n} p_r * (1 + G(m - 1, d - 1)) + H(n - m, d, r + 1) )
 *                     (a rank-r child with a subtree of m nodes, the rest to later ranks)
 *   G(n, d)    = H(n, d, 1).
 * Expected tokens per step = 1 + G(n, d) (the bonus/recovered token).
 * Cost O(N^2 D K) time, O(N D K) memory; N = 64, D = 16, K = 8 is ~0.5M steps.
 *
 * Hardware-aware: with t(rows) the measured latency of a target forward of
 * `rows` rows (root + nodes) and c the draft's cost per level, pick the
 * (n, d) maximizing (1 + G(n, d)) / (t(n + 1) + c * depth) (expected tokens
 * per millisecond) instead of tokens per step.
 */

/** One node of a tree template: its parent (template index, -1 = the root) and rank (0 = the draft's best). */
export interface TemplateNode {
  readonly parent: number;
  readonly rank: number;
}

/** A tree shape in breadth-first order and its expected accepted tokens (tokens/step - 1). */
export interface Template {
  readonly nodes: readonly TemplateNode[];
  readonly expected: number;
  readonly depth: number;
}

/** A measured latency curve: target forward milliseconds by tree rows (root + nodes). */
export interface HardwareModel {
  readonly forwardMs: Readonly<Record<string, number>>;
  /** Draft cost per tree level, milliseconds (0 for model-free proposers). */
  readonly draftMsPerLevel: number;
}

/** The DP of the file comment for acceptance vector `p` (p[0] = rank 1), budgets 0..maxNodes, depths 0..maxDepth. */
export class SequoiaTable {
  /** g[d][n] = G(n, d). */
  private readonly g: Float64Array[];
  /** choice[d][r][n] = m of the best H(n, d, r) (0 = stop). */
  private readonly choice: Int32Array[][];

  constructor(
    readonly p: readonly number[],
    readonly maxNodes: number,
    readonly maxDepth: number,
  ) {
    checkAcceptance(p);
    const K = p.length;
    this.g = [new Float64Array(maxNodes + 1)];
    this.choice = [[]];
    for (let d = 1; d <= maxDepth; d++) {
      const h: Float64Array[] = Array.from({ length: K + 1 }, () => new Float64Array(maxNodes + 1));
      const ch: Int32Array[] = Array.from({ length: K }, () => new Int32Array(maxNodes + 1));
      for (let r = K - 1; r >= 0; r--) {
        for (let n = 1; n <= maxNodes; n++) {
          let best = 0;
          for (let m = 1; m <= n; m++) {
            const v = p[r] * (1 + this.g[d - 1][m - 1]) + h[r + 1][n - m];
            if (v > best + 1e-15) {
              best = v;
              ch[r][n] = m;
            }
          }
          h[r][n] = best;
        }
      }
      this.g.push(h[0]);
      this.choice.push(ch);
    }
  }

  /** G(n, d): best expected accepted tokens with at most n nodes and d levels. */
  value(n: number, d: number): number {
    return this.g[d][n];
  }

  /** The optimal tree for (n, d), breadth-first. */
  template(n: number, d: number): Template {
    const nodes: TemplateNode[] = [];
    let queue: { parent: number; n: number; d: number }[] = [{ parent: -1, n, d }];
    let depth = 0;
    while (queue.length > 0) {
      const next: typeof queue = [];
      for (const q of queue) {
        for (const child of this.forest(q.n, q.d)) {
          nodes.push({ parent: q.parent, rank: child.rank });
          next.push({ parent: nodes.length - 1, n: child.size - 1, d: q.d - 1 });
        }
      }
      if (next.length > 0) depth++;
      queue = next;
    }
    return { nodes, expected: this.value(n, d), depth };
  }

  /** Children (rank, subtree size) of a node with n nodes below it and d levels. */
  private forest(n: number, d: number): { rank: number; size: number }[] {
    const out: { rank: number; size: number }[] = [];
    for (let r = 0; d > 0 && r < this.p.length && n > 0; r++) {
      const m = this.choice[d][r][n];
      if (m === 0) break;
      out.push({ rank: r, size: m });
      n -= m;
    }
    return out;
  }
}

/**
 * The template maximizing expected tokens per millisecond (see the file
 * comment) over budgets 0..maxNodes and depths 1..maxDepth.
 */
export function hardwareAwareTemplate(table: SequoiaTable, hw: HardwareModel): Template {
  const curve = latencyCurve(hw.forwardMs);
  let best = table.template(0, 1);
  let bestRate = -Infinity;
  for (let n = 0; n <= table.maxNodes; n++) {
    for (let d = 1; d <= table.maxDepth; d++) {
      const t = table.template(n, d);
      const rate = (1 + t.expected) / (curve(n + 1) + hw.draftMsPerLevel * t.depth);
      if (rate > bestRate + 1e-12) {
        best = t;
        bestRate = rate;
      }
    }
  }
  return best;
}

/** Piecewise-linear interpolation of ms by rows; linear extrapolation past the ends (never below 0). */
export function latencyCurve(forwardMs: Readonly<Record<string, number>>): (rows: number) => number {
  const pts = Object.entries(forwardMs)
    .map(([k, v]) => [Number(k), v] as const)
    .filter(([k, v]) => Number.isFinite(k) && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  if (pts.length === 0) throw new RangeError('sequoia: the latency curve (forwardMs) has no points');
  if (pts.length === 1) return () => pts[0][1];
  return (rows) => {
    let i = 1;
    while (i < pts.length - 1 && pts[i][0] < rows) i++;
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    return Math.max(0, y0 + ((rows - x0) * (y1 - y0)) / (x1 - x0));
  };
}

function checkAcceptance(p: readonly number[]): void {
  if (p.length === 0 || p.some((v) => !(v >= 0 && v <= 1))) {
    throw new RangeError(`sequoia: the acceptance vector must be non-empty with entries in [0, 1], got [${p.join(', ')}]`);
  }
  const sum = p.reduce((s, v) => s + v, 0);
  if (sum > 1 + 1e-9) throw new RangeError(`sequoia: acceptance probabilities of disjoint ranks must sum to <= 1, got ${sum}`);
}
