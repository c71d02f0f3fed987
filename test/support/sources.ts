import { rowPath } from '../../src/speculators/lookup.js';
import type { CandidateSource, RowProposal } from '../../src/tree/policy.js';
import type { TreeShape } from '../../src/core/tree-shape.js';

/** Candidates by root path: key = path tokens joined by ',' ('' = the root) -> [token, probability] best first. */
export type Script = Readonly<Record<string, readonly (readonly [number, number])[]>>;

/** A ranked candidate source that answers from a script; records the rows it was asked for, per call. */
export function scriptedSource(script: Script): CandidateSource & { readonly calls: number[][] } {
  const calls: number[][] = [];
  return {
    proposerId: 'script',
    calls,
    async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
      calls.push([...rows]);
      return rows.map((row) => {
        const c = script[rowPath(tree, row).join(',')] ?? [];
        return { kind: 'ranked', tokens: c.map(([t]) => t), probs: c.map(([, p]) => p) };
      });
    },
  };
}

/** [token, parent] pairs of a tree, for compact expectations. */
export function pairs(tree: TreeShape): [number, number][] {
  return Array.from(tree.tokens, (t, i) => [t, tree.parents[i]]);
}
