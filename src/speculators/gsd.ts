import type { Model, Sequence } from '../core/model.js';
import { ContextDag } from '../tree/context-dag.js';
import type { RowProposal, TreePolicy } from '../tree/policy.js';
import type { TreeShape } from '../core/tree-shape.js';
import { DraftModelSpeculator, type DraftRowSource } from './draft-model.js';
import type { DraftWork } from './types.js';

/**
 * Graph-structured drafts (GSD, Gong et al. 2024): draft models whose tree
 * rows with equal recent context (the last `context` tokens) share one draft
 * distribution, computed once (a ContextDag node). The tree policy grows an
 * ordinary token tree (the DAG expanded), which every verifier checks; the
 * draft model scores only the DAG's nodes. The distribution a policy draws a
 * row's children from is the one recorded with them, so verification stays
 * exact; it approximates the draft's own where the longer contexts differ.
 */
export function gsdSpeculator(models: readonly Model[], policy: TreePolicy, context: number): DraftModelSpeculator {
  if (!Number.isInteger(context) || context < 1) throw new RangeError(`context must be an integer >= 1, got ${context}`);
  return new DraftModelSpeculator(models, policy, 'gsd', (id, seq) => new GsdSource(id, seq, context));
}

/** One draft model's sequence scoring the DAG of the tree it is shown; each DAG node's logits are kept (copies) for the rows that share it. */
class GsdSource implements DraftRowSource {
  scored: TreeShape | null = null;
  private dag: ContextDag | null = null;
  private nodeLogits: Float32Array[] = [];
  private rows = 0;
  private reused = 0;

  constructor(
    readonly proposerId: string,
    readonly seq: Sequence,
    private readonly context: number,
  ) {}

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    const dag = (this.dag ??= new ContextDag(this.context, this.seq.tokens.slice(-this.context)));
    const placed = dag.place(tree);
    this.reused += placed.shared.length;
    if (this.scored === null || placed.fresh.length > 0) {
      const shape = dag.shape();
      const logits = await this.seq.score(shape);
      this.rows += (this.scored === null ? 1 : 0) + placed.fresh.length;
      this.scored = shape;
      for (let k = this.nodeLogits.length; k < dag.nodes; k++) this.nodeLogits.push(logits.row(k).slice());
    }
    return rows.map((r) => ({ kind: 'logits', logits: this.nodeLogits[dag.nodeOf(r)] }));
  }

  get work(): DraftWork {
    return { rows: this.rows, reused: this.reused };
  }

  reset(): void {
    this.scored = null;
    this.dag = null;
    this.nodeLogits = [];
    this.rows = 0;
    this.reused = 0;
  }
}
