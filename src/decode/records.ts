/**
 * The raw record of one decoding step of one request (SPEC section 2).
 * Metrics (tokens/step, acceptance, per-depth acceptance, shares of time)
 * are computed from these in src/report only.
 */
export interface StepRecord {
  readonly request: number;
  readonly step: number;
  /** Draft nodes in the tree (the root excluded). */
  readonly treeSize: number;
  readonly treeDepth: number;
  /** nodesPerDepth[d - 1] = nodes at depth d. */
  readonly nodesPerDepth: readonly number[];
  /** Accepted draft tokens (the accepted path's length). */
  readonly accepted: number;
  /** Tokens appended to the output this step (accepted + 1, less any cut at a stop token or the limit). */
  readonly emitted: number;
  readonly nextKind: 'bonus' | 'recovered';
  /**
   * Milliseconds of this request's proposal, the (batched) target forward,
   * verification and commit. Requests of a batch propose concurrently (sharing
   * draft forwards): each record carries an equal share of that wall time, so
   * the records of a step sum to it.
   */
  readonly proposeMs: number;
  readonly scoreMs: number;
  readonly verifyMs: number;
  readonly commitMs: number;
}

/** The record of one step: counts from the tree and the verification outcome, times as measured. */
export function stepRecord(
  request: number,
  step: number,
  tree: { readonly tokens: Int32Array; readonly depths: Int32Array },
  outcome: { readonly path: Int32Array; readonly nextKind: 'bonus' | 'recovered' },
  emitted: number,
  ms: Pick<StepRecord, 'proposeMs' | 'scoreMs' | 'verifyMs' | 'commitMs'>,
): StepRecord {
  const nodesPerDepth: number[] = [];
  for (const d of tree.depths) nodesPerDepth[d - 1] = (nodesPerDepth[d - 1] ?? 0) + 1;
  return {
    request,
    step,
    treeSize: tree.tokens.length,
    treeDepth: nodesPerDepth.length,
    nodesPerDepth: Array.from(nodesPerDepth, (n) => n ?? 0),
    accepted: outcome.path.length,
    emitted,
    nextKind: outcome.nextKind,
    ...ms,
  };
}
