/**
 * Summary rows of a run: one per cell, and one per cell x workload, from the
 * cells and their step records. Every metric comes from metrics.ts
 * (summarize, timeShares, speedup); this module only groups and pairs.
 */
import type { CellInfo, CellRecord, OutputRecord } from '../harness/cell.js';
import { ReportError } from './errors.js';
import { compositeKey, groupRows } from './frame.js';
import { losslessByCell } from './lossless.js';
import { bootstrapOptions, type BootstrapOptions } from './intervals.js';
import { speedup, summarize, timeShares, type Summary } from './metrics.js';
import { cellIntervals, cellUnits, type Intervals, type Units } from './units.js';

/** One row of summary.csv (workload '*') or summary-by-workload.csv. */
export interface SummaryRow {
  readonly cell: string;
  readonly index: number;
  readonly label: string;
  /** The workload name, or '*' for a row over every workload of the cell. */
  readonly workload: string;
  readonly baseline: boolean;
  readonly target: string;
  readonly speculator: string;
  readonly policy: string;
  readonly verifier: string;
  readonly batchSize: number;
  readonly temperature: number;
  /** The cell's sweep values as text (arrays joined with ','). */
  readonly params: Readonly<Record<string, string>>;
  /** Distinct (workload, prompt, seed) requests. */
  readonly requests: number;
  /** Bootstrap units behind the intervals: the requests (so n = requests). */
  readonly n: number;
  /** 95% bootstrap intervals (see units.ts); speedup's over the requests shared with the baseline. */
  readonly ci: Intervals;
  readonly steps: number;
  readonly tokens: number;
  readonly proposed: number;
  readonly accepted: number;
  readonly draftRows: number;
  readonly draftReused: number;
  readonly tokensPerStep: number;
  readonly acceptance: number;
  /** perDepthAcceptance[d - 1]: acceptance at depth d (see Summary). */
  readonly perDepthAcceptance: readonly number[];
  readonly bonusShare: number;
  readonly msPerToken: number;
  readonly tokensPerSecond: number;
  /** Baseline ms/token / this ms/token; NaN without a baseline of the same target. */
  readonly speedup: number;
  /** The cell id of the baseline the speedup is measured against, or '' when none. */
  readonly baselineCell: string;
  readonly proposeShare: number;
  readonly scoreShare: number;
  readonly verifyShare: number;
  readonly commitShare: number;
  readonly p50StepMs: number;
  readonly p90StepMs: number;
  readonly p50MsPerToken: number;
  readonly p90MsPerToken: number;
  /** Requests ended per reason: a stop token, the token limit, the context. */
  readonly stops: Summary['stops'];
  /** Greedy cells: outputs equal the baseline's ('yes', 'no (...)'); '' otherwise (see lossless.ts). */
  readonly lossless: string;
}

/** The workload value of per-cell rows. */
export const ALL_WORKLOADS = '*';

/**
 * Forward keys of one cell's records, in file order (records sharing a key
 * were scored by one batched target forward): their `forward` ids when every
 * record has one. Records written before those ids existed are grouped by
 * order; contract with the runner: the records of one decode call (a batch)
 * are contiguous in steps.jsonl, and `request` + `step` identify a record
 * within its call. At batch size 1 every record is its own forward;
 * otherwise a new call starts where the workload changes or a (request,
 * step) pair repeats.
 */
export function forwardKeys(records: readonly CellRecord[], batchSize: number): string[] {
  if (records.length > 0 && records.every((r) => r.forward !== undefined)) return records.map((r) => `f${r.forward}`);
  if (batchSize <= 1) return records.map((_, i) => String(i));
  let call = 0;
  let seen = new Set<string>();
  let workload: string | undefined;
  return records.map((r) => {
    const id = `${r.request}:${r.step}`;
    if (r.workload !== workload || seen.has(id)) {
      if (workload !== undefined) call++;
      seen = new Set();
      workload = r.workload;
    }
    seen.add(id);
    return `${call}:${r.step}`;
  });
}

/** A record with its forward key. */
interface Keyed {
  readonly record: CellRecord;
  readonly forward: string;
}

function summarizeKeyed(rows: readonly Keyed[]): Summary {
  return summarize(
    rows.map((k) => k.record),
    (_, i) => rows[i].forward,
  );
}

/** Each cell's records with forward keys, in cells order (cells without records get none). */
function keyedByCell(cells: readonly CellInfo[], records: readonly CellRecord[]): Map<string, Keyed[]> {
  const known = new Set(cells.map((c) => c.id));
  const unknown = records.find((r) => !known.has(r.cell));
  if (unknown) throw new ReportError(`a step record names cell '${unknown.cell}', which is not among the cells (${[...known].join(', ')})`);
  const grouped = groupRows(records, (r) => r.cell);
  return new Map(
    cells.map((c) => {
      const rs = grouped.get(c.id) ?? [];
      const keys = forwardKeys(rs, c.batchSize);
      return [c.id, rs.map((record, i) => ({ record, forward: keys[i] }))];
    }),
  );
}

/** The baseline a cell is compared with: same target and batch size, else same target at batch 1. */
export function baselineOf(cell: CellInfo, cells: readonly CellInfo[]): CellInfo | undefined {
  const candidates = cells.filter((c) => c.baseline && c.target === cell.target);
  return candidates.find((c) => c.batchSize === cell.batchSize) ?? candidates.find((c) => c.batchSize === 1);
}

function paramText(v: unknown): string {
  if (Array.isArray(v)) return v.map(paramText).join(',');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A cell's (or a cell x workload's) records, their bootstrap units and the stream of its resamples. */
interface Part {
  readonly keyed: readonly Keyed[];
  readonly units: Units;
  readonly bootstrap: BootstrapOptions;
}

function part(keyed: readonly Keyed[], bootstrap: BootstrapOptions, stream: string): Part {
  return { keyed, units: keyedUnits(keyed), bootstrap: { ...bootstrap, rng: bootstrap.rng.fork(stream) } };
}

function keyedUnits(keyed: readonly Keyed[]): Units {
  return cellUnits(
    keyed.map((k) => k.record),
    (_, i) => keyed[i].forward,
  );
}

function row(cell: CellInfo, workload: string, mine: Part, base: { cell: string; summary: Summary; units: Units } | undefined, lossless = ''): SummaryRow {
  const keyed = mine.keyed;
  const s = summarizeKeyed(keyed);
  const t = timeShares(s);
  const requests = mine.units.size;
  const params = Object.fromEntries(Object.entries(cell.params).map(([k, v]) => [k, paramText(v)]));
  return {
    cell: cell.id,
    index: cell.index,
    label: cell.label,
    workload,
    baseline: cell.baseline,
    target: cell.target,
    speculator: cell.speculator,
    policy: cell.policy,
    verifier: cell.verifier,
    batchSize: cell.batchSize,
    temperature: cell.temperature,
    params,
    requests,
    n: requests,
    ci: cellIntervals(mine.units, base?.units, mine.bootstrap),
    steps: s.steps,
    tokens: s.tokens,
    proposed: s.proposed,
    accepted: s.accepted,
    draftRows: s.draftRows,
    draftReused: s.draftReused,
    tokensPerStep: s.tokensPerStep,
    acceptance: s.acceptance,
    perDepthAcceptance: s.perDepthAcceptance,
    bonusShare: s.bonusShare,
    msPerToken: s.msPerToken,
    tokensPerSecond: s.tokensPerSecond,
    speedup: base ? speedup(base.summary, s) : NaN,
    baselineCell: base?.cell ?? '',
    proposeShare: t.propose,
    scoreShare: t.score,
    verifyShare: t.verify,
    commitShare: t.commit,
    p50StepMs: s.p50StepMs,
    p90StepMs: s.p90StepMs,
    p50MsPerToken: s.p50MsPerToken,
    p90MsPerToken: s.p90MsPerToken,
    stops: s.stops,
    lossless,
  };
}

/** A cell's records as bootstrap units, by cell id (cells without records: none), for comparisons across cells. */
export function unitsByCell(cells: readonly CellInfo[], records: readonly CellRecord[]): Map<string, Units> {
  return new Map([...keyedByCell(cells, records)].map(([id, keyed]) => [id, keyedUnits(keyed)]));
}

/**
 * One row per cell, in cells order, over all its workloads (cells without
 * records give NaN metrics); `outputs` give `lossless`; `bootstrap` the
 * resamples of the intervals (forked per cell, so rows do not depend on order).
 */
export function summaryRows(cells: readonly CellInfo[], records: readonly CellRecord[], outputs: readonly OutputRecord[] = [], bootstrap = bootstrapOptions()): SummaryRow[] {
  const keyed = keyedByCell(cells, records);
  const lossless = losslessByCell(cells, outputs);
  const parts = new Map(cells.map((c) => [c.id, part(keyed.get(c.id) ?? [], bootstrap, c.id)]));
  return cells.map((c) => {
    const b = baselineOf(c, cells);
    const bp = b && (parts.get(b.id) as Part);
    const base = b && bp && { cell: b.id, summary: summarizeKeyed(bp.keyed), units: bp.units };
    return row(c, ALL_WORKLOADS, parts.get(c.id) as Part, base, lossless.get(c.id));
  });
}

/**
 * One row per cell x workload (cells order, then workloads in order of first
 * appearance); speedups against the baseline's records on the same workload.
 */
export function summaryRowsByWorkload(cells: readonly CellInfo[], records: readonly CellRecord[], bootstrap = bootstrapOptions()): SummaryRow[] {
  const keyed = keyedByCell(cells, records);
  const byWorkload = new Map(cells.map((c) => [c.id, groupRows(keyed.get(c.id) ?? [], (k) => k.record.workload)]));
  const workloads = [...new Set(records.map((r) => r.workload))];
  return cells.flatMap((c) => {
    const b = baselineOf(c, cells);
    const mine = byWorkload.get(c.id) as Map<string, Keyed[]>;
    return workloads
      .filter((w) => mine.has(w))
      .map((w) => {
        const baseKeyed = b && byWorkload.get(b.id)?.get(w);
        const base = b && baseKeyed ? { cell: b.id, summary: summarizeKeyed(baseKeyed), units: keyedUnits(baseKeyed) } : undefined;
        return row(c, w, part(mine.get(w) as Keyed[], bootstrap, compositeKey(c.id, w)), base);
      });
  });
}

/** The deepest per-depth acceptance among rows (the number of acc_d columns). */
export function maxDepth(rows: readonly SummaryRow[]): number {
  return rows.reduce((m, r) => Math.max(m, r.perDepthAcceptance.length), 0);
}
