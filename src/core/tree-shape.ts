/**
 * The shape of a token tree: flat arrays over nodes 0..n-1. The root (the last
 * committed-but-not-yet-cached token) is not part of the arrays; `parents[i]`
 * is -1 for children of the root, else an index < i.
 */
export interface TreeShape {
  readonly tokens: Int32Array; // [n]
  readonly parents: Int32Array; // [n]
}
