import type { SamplingParams } from '../sampling/params.js';
import { DraftTreeBuilder } from './builder.js';
import type { DraftTree } from './draft-tree.js';
import { childCandidates, drawsDistinct, recordChildren } from './distinct.js';
import type { CandidateSource, ChildMode, DrawOptions, GrowContext, TreePolicy } from './policy.js';
import { hardwareAwareTemplate, SequoiaTable, type HardwareModel, type Template } from './sequoia.js';

export interface SequoiaOptions extends DrawOptions {
  /** Per-rank acceptance vector p_1, p_2, ... (see sequoia.ts), e.g. from calibrateAcceptance(). */
  readonly acceptance: readonly number[];
  /** Deepest level. */
  readonly depth: number;
  /** When given, maximize expected tokens per millisecond instead of tokens per step. */
  readonly hardware?: HardwareModel;
}

/**
 * Grows the DP-optimal tree template for the step's node budget and depth
 * (docs/design.md#building-trees, Sequoia): a template node of rank r becomes the parent
 * row's rank-r candidate. A proposer with fewer candidates than a template
 * asks for leaves that subtree out. Children are deterministic (q = null),
 * or with withoutReplacement at temperature > 0 the rank-r child is the
 * r-th token drawn without replacement from q (draws no template node
 * takes stay recorded, so RSD still tests them).
 */
export class SequoiaPolicy implements TreePolicy {
  readonly kind = 'sequoia';
  readonly chain: boolean;
  readonly depth: number;
  private readonly templates = new Map<string, Template>();

  constructor(private readonly opts: SequoiaOptions) {
    if (!Number.isInteger(opts.depth) || opts.depth < 1) throw new RangeError(`sequoia policy: depth must be a positive integer, got ${opts.depth}`);
    new SequoiaTable(opts.acceptance, 0, 0); // validates the vector
    this.depth = opts.depth;
    this.chain = opts.acceptance.length === 1;
  }

  childMode(sampling: SamplingParams): ChildMode {
    return drawsDistinct(this.opts.withoutReplacement ?? false, sampling) ? 'distinct' : 'deterministic';
  }

  /** The template used for a budget and depth limit (memoized). */
  template(maxNodes: number, maxDepth: number): Template {
    const d = Math.max(0, Math.min(this.depth, maxDepth));
    const key = `${maxNodes}:${d}`;
    let t = this.templates.get(key);
    if (t === undefined) {
      const table = new SequoiaTable(this.opts.acceptance, maxNodes, d);
      t = this.opts.hardware && d > 0 ? hardwareAwareTemplate(table, this.opts.hardware) : table.template(maxNodes, d);
      this.templates.set(key, t);
    }
    return t;
  }

  async grow(source: CandidateSource, ctx: GrowContext): Promise<DraftTree> {
    const t = this.template(ctx.maxNodes, ctx.maxDepth);
    const distinct = this.childMode(ctx.sampling) === 'distinct';
    const b = new DraftTreeBuilder([source.proposerId]);
    const rowOf = new Int32Array(t.nodes.length).fill(-1); // template node -> tree row (-1 = left out)
    const probOf = new Float64Array(t.nodes.length);
    let level = levelOf(t, -1);
    while (level.length > 0) {
      const parents = [...new Set(level.map((i) => t.nodes[i].parent))].filter((p) => p < 0 || rowOf[p] >= 0);
      const rows = parents.map((p) => (p < 0 ? 0 : rowOf[p]));
      const proposals = parents.length > 0 ? await source.propose(b.shape(), rows) : [];
      parents.forEach((p, j) => {
        const kids = level.filter((i) => t.nodes[i].parent === p);
        const c = childCandidates(proposals[j], Math.max(...kids.map((i) => t.nodes[i].rank)) + 1, ctx.sampling, distinct, ctx.rng);
        recordChildren(b, rows[j], c);
        for (const i of kids) {
          const r = t.nodes[i].rank;
          const prob = (p < 0 ? 1 : probOf[p]) * (c.probs[r] ?? 0);
          if (r >= c.tokens.length || prob < (ctx.minProb ?? 0)) continue;
          rowOf[i] = b.draw(rows[j], c.tokens[r], 0, c.q) + 1;
          probOf[i] = prob;
        }
      });
      level = level.flatMap((i) => (rowOf[i] >= 0 ? levelOf(t, i) : []));
    }
    return b.finish();
  }
}

/** Template children of `parent` (-1 = the root). */
function levelOf(t: Template, parent: number): number[] {
  const out: number[] = [];
  t.nodes.forEach((n, i) => {
    if (n.parent === parent) out.push(i);
  });
  return out;
}
