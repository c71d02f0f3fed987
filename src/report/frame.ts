/**
 * The project's one wrapper around danfojs-node: the rest of src/report sees
 * plain typed rows. danfo groups; metrics stay in metrics.ts (danfo 1.2 has no
 * quantiles, and pooled ratios such as tokens/step are not means of rows).
 */
import dfd from 'danfojs-node';

/**
 * Rows grouped by a string key, groups in order of first appearance and rows
 * in input order within a group. Keys are compared as whole strings (build
 * composite keys with `compositeKey`, not by joining with a separator).
 */
export function groupRows<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  if (rows.length === 0) return out;
  const keys = rows.map(key);
  const frame = new dfd.DataFrame({ key: keys, row: rows.map((_, i) => i) });
  // danfo's groups: { [key]: { key: string[], row: number[] } }, in first-seen order.
  const groups = frame.groupby(['key']).groups as Record<string, { row?: unknown }>;
  const byKey = new Map<string, number[]>();
  for (const g of Object.values(groups)) {
    const idx = (Array.isArray(g.row) ? g.row : []).map(Number);
    if (idx.length > 0) byKey.set(keys[idx[0]], idx);
  }
  for (const k of new Set(keys)) {
    const idx = byKey.get(k);
    if (!idx) throw new Error(`groupRows: danfo lost the group '${k}'`);
    out.set(
      k,
      idx.map((i) => rows[i]),
    );
  }
  return out;
}

/** An unambiguous key for a tuple of strings (unlike 'a-b' + 'c' vs 'a' + 'b-c'). */
export function compositeKey(...parts: readonly string[]): string {
  return JSON.stringify(parts);
}
