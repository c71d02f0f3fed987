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
  /** Milliseconds of this request's proposal, the (batched) target forward, verification and commit. */
  readonly proposeMs: number;
  readonly scoreMs: number;
  readonly verifyMs: number;
  readonly commitMs: number;
}
