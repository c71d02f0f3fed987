import type { TreeShape } from '../core/tree-shape.js';

/**
 * One draw of a child token at an expanded node. Two draws of the same token
 * share one tree node but stay two draws: MSS tests each against the residual.
 */
export interface Draw {
  readonly child: number; // node index of the drawn token
  readonly proposer: number; // index into DraftTree.proposerIds
  /**
   * The distribution (after the sampling transform) the token was sampled
   * from, [vocab]; null when the token was chosen deterministically (top-k,
   * model-free speculators), i.e. drawn from a point mass.
   */
  readonly q: Float32Array | null;
}

/**
 * One proposer's children of one row drawn WITHOUT replacement from q
 * (Gumbel-top-k), in draw order: tokens[i], given tokens[0..i), is
 * distributed as q renormalized over the tokens not drawn yet. Lists every
 * token drawn, also those the policy then left out of the tree (budget,
 * path-probability cuts): a verifier still tests them in order and, on
 * accepting one that has no node, emits it and stops. The kept children
 * also have ordinary Draws (with this q) in DraftTree.draws.
 */
export interface DistinctDraws {
  readonly proposer: number; // index into DraftTree.proposerIds
  readonly q: Float32Array; // [vocab], after the sampling transform
  readonly tokens: readonly number[]; // distinct, q > 0 each, in draw order
}

/**
 * A token tree as speculators build it (docs/design.md#terms-and-metrics): flat node arrays
 * plus who proposed each node and, per expanded row, the draws of its
 * children. Rows: 0 = the root (last committed token), i + 1 = node i.
 */
export interface DraftTree extends TreeShape {
  readonly tokens: Int32Array; // [n]
  readonly parents: Int32Array; // [n], -1 = child of the root, else < own index
  readonly depths: Int32Array; // [n], children of the root have depth 1
  readonly proposerIds: readonly string[]; // e.g. draft model ids, 'ngram'
  readonly proposedBy: Uint32Array; // [n] bitmask over proposerIds
  readonly draws: readonly (readonly Draw[])[]; // [n + 1] per row, in draw order
  /** [n + 1] per row: the rows whose children were drawn without replacement; absent when none was. */
  readonly distinct?: readonly (readonly DistinctDraws[])[];
}

/** What verifiers and the config layer need to know about a tree to judge exactness. */
export interface TreeTraits {
  /**
   * 'sampled': every draw has its q, drawn i.i.d. (with replacement);
   * 'distinct': every draw has its q, siblings drawn without replacement
   * (DraftTree.distinct); 'deterministic': no draw has a q; 'mixed': more
   * than one of these kinds.
   */
  readonly children: 'sampled' | 'distinct' | 'deterministic' | 'mixed' | 'none';
  /** Width 1 everywhere (sequence-based speculation). */
  readonly chain: boolean;
}
