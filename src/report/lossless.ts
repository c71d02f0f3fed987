/**
 * Losslessness of greedy cells: whether a cell's outputs equal, token for
 * token, those of its baseline (the incremental-decoding cell of the same
 * target, see baselineOf) on the same (workload, prompt, seed) requests.
 */
import type { CellInfo, OutputRecord } from '../harness/cell.js';
import { compositeKey, groupRows } from './frame.js';
import { baselineOf } from './summary.js';

const requestKey = (o: OutputRecord) => compositeKey(o.workload, o.prompt, String(o.seed));

/**
 * Per cell id: 'yes', 'no (N of M differ; first: workload/prompt at token i)'
 * over the M requests both cells have, or '' (a baseline, a sampled cell or
 * baseline, no baseline, or no outputs shared).
 */
export function losslessByCell(cells: readonly CellInfo[], outputs: readonly OutputRecord[]): Map<string, string> {
  const byCell = groupRows(outputs, (o) => o.cell);
  return new Map(
    cells.map((c) => {
      const base = baselineOf(c, cells);
      if (c.baseline || c.temperature !== 0 || base === undefined || base.temperature !== 0) return [c.id, ''];
      return [c.id, verdict(byCell.get(c.id) ?? [], byCell.get(base.id) ?? [])];
    }),
  );
}

function verdict(mine: readonly OutputRecord[], base: readonly OutputRecord[]): string {
  const want = new Map(base.map((o) => [requestKey(o), o.tokens]));
  const shared = mine.filter((o) => want.has(requestKey(o)));
  if (shared.length === 0) return '';
  const differ = shared.flatMap((o) => {
    const i = firstDifference(o.tokens, want.get(requestKey(o)) ?? []);
    return i < 0 ? [] : [`${o.workload}/${o.prompt} at token ${i}`];
  });
  return differ.length === 0 ? 'yes' : `no (${differ.length} of ${shared.length} differ; first: ${differ[0]})`;
}

/** The first index where a and b differ (a length difference counts), or -1. */
function firstDifference(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}
