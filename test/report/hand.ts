/**
 * Hand-made cells and step records for the report tests; the values the
 * tests expect are computed by hand in summary.test.ts.
 */
import type { CellInfo, CellRecord } from '../../src/harness/cell.js';

export function cell(id: string, over: Partial<CellInfo> = {}): CellInfo {
  return {
    id,
    index: 0,
    label: '',
    baseline: false,
    target: 'T',
    params: {},
    speculator: 'draft-model',
    policy: 'static',
    verifier: 'greedy',
    batchSize: 1,
    temperature: 0,
    ...over,
  };
}

/** A record: unspecified counts are those of an empty tree (incremental step), times 0. */
export function rec(c: string, workload: string, prompt: string, request: number, step: number, over: Partial<CellRecord> = {}): CellRecord {
  return {
    cell: c,
    workload,
    prompt,
    seed: 1,
    request,
    step,
    treeSize: 0,
    treeDepth: 0,
    nodesPerDepth: [],
    accepted: 0,
    emitted: 1,
    nextKind: 'bonus',
    proposeMs: 0,
    scoreMs: 0,
    verifyMs: 0,
    commitMs: 0,
    ...over,
  };
}

const tree2 = { treeSize: 3, treeDepth: 2, nodesPerDepth: [1, 2] };
const tree1 = { treeSize: 2, treeDepth: 1, nodesPerDepth: [2] };

/** B1: baseline of T at batch 1; S1: T batch 1; S2: T batch 2 (two decode calls); O: target U (no baseline). */
export const CELLS: readonly CellInfo[] = [
  cell('B1', { index: 0, baseline: true, speculator: 'none', policy: 'none' }),
  cell('S1', { index: 1, label: 'policy.expansion=1,2 verifier.kind=greedy', params: { 'policy.expansion': [1, 2], 'verifier.kind': 'greedy' } }),
  cell('S2', { index: 2, batchSize: 2 }),
  cell('O', { index: 3, target: 'U' }),
];

export const RECORDS: readonly CellRecord[] = [
  // B1, w1: 4 steps of 1 ms; w2: 2 steps of 2 ms (steps restart at 0 per request: each is its own forward at batch 1).
  ...[0, 1, 2, 3].map((s) => rec('B1', 'w1', 'p1', 0, s, { scoreMs: 1 })),
  ...[0, 1].map((s) => rec('B1', 'w2', 'p2', 0, s, { scoreMs: 2 })),
  // S1
  rec('S1', 'w1', 'p1', 0, 0, { ...tree2, accepted: 2, emitted: 3, nextKind: 'bonus', proposeMs: 1, scoreMs: 2, verifyMs: 0.5, commitMs: 0.5 }),
  rec('S1', 'w1', 'p1', 0, 1, { ...tree2, accepted: 0, emitted: 1, nextKind: 'recovered', proposeMs: 1, scoreMs: 2, verifyMs: 0.5, commitMs: 0.5 }),
  rec('S1', 'w2', 'p2', 0, 0, { ...tree2, accepted: 1, emitted: 2, nextKind: 'recovered', proposeMs: 2, scoreMs: 2, verifyMs: 1, commitMs: 1 }),
  // S2: call 1 (p1, p2), then call 2 (p3, p4); records of a batch carry the batch's forward time.
  rec('S2', 'w1', 'p1', 0, 0, { ...tree1, accepted: 1, emitted: 2, nextKind: 'bonus', proposeMs: 1, scoreMs: 3 }),
  rec('S2', 'w1', 'p2', 1, 0, { ...tree1, accepted: 0, emitted: 1, nextKind: 'recovered', proposeMs: 1, scoreMs: 3 }),
  rec('S2', 'w1', 'p1', 0, 1, { ...tree1, accepted: 1, emitted: 2, nextKind: 'bonus', proposeMs: 1, scoreMs: 2 }),
  rec('S2', 'w1', 'p3', 0, 0, { ...tree1, accepted: 0, emitted: 1, nextKind: 'recovered', proposeMs: 1, scoreMs: 4 }),
  rec('S2', 'w1', 'p4', 1, 0, { ...tree1, accepted: 1, emitted: 2, nextKind: 'bonus', proposeMs: 1, scoreMs: 4 }),
  // O
  rec('O', 'w1', 'p1', 0, 0, { ...tree1, accepted: 1, emitted: 2, scoreMs: 1 }),
];
