import type { DraftTree, TreeTraits } from '../tree/draft-tree.js';

/**
 * The traits of a built tree: which kind of draws it holds ('sampled': all
 * have a q, drawn with replacement; 'distinct': all have a q and the tree
 * records them as drawn without replacement; 'deterministic': none has a q;
 * 'mixed'; 'none': no draws at all) and whether it is a chain (at most one
 * child node and one draw per row).
 */
export function treeTraits(tree: DraftTree): TreeTraits {
  let sampled = 0;
  let deterministic = 0;
  let chain = true;
  const childCount = new Int32Array(tree.tokens.length + 1);
  for (let i = 0; i < tree.parents.length; i++) childCount[tree.parents[i] + 1]++;
  for (let row = 0; row < childCount.length; row++) {
    const draws = tree.draws[row] ?? [];
    if (childCount[row] > 1 || draws.length > 1) chain = false;
    for (const d of draws) {
      if (d.q === null) deterministic++;
      else sampled++;
    }
  }
  const kind = tree.distinct === undefined ? 'sampled' : 'distinct';
  const children = sampled + deterministic === 0 ? 'none' : deterministic === 0 ? kind : sampled === 0 ? 'deterministic' : 'mixed';
  return { children, chain };
}
