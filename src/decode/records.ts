import type { DraftWork } from '../speculators/types.js';

/**
 * The raw record of one decoding step of one request (docs/design.md#terms-and-metrics).
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
  /**
   * Tokens the step produced (accepted + 1, less any cut after a stop token or
   * at the limit): those appended to the output, and the stop token that ended
   * the request (produced, but not part of the output). Incremental decoding: 1.
   */
  readonly emitted: number;
  readonly nextKind: 'bonus' | 'recovered';
  /**
   * The target forward that scored this step, numbered from 0 within the
   * cell: the records of one batched step share it. Absent in records written
   * before it existed (the report then groups a batch's records by order).
   */
  readonly forward?: number;
  /**
   * Milliseconds. proposeMs: this request's share of the proposals' wall time
   * (requests of a batch propose concurrently, sharing draft forwards; each
   * record carries an equal share, so a forward's records sum to it). scoreMs:
   * the whole batched target forward, the same on every record of that
   * forward (count it once per `forward`). verifyMs, commitMs: this request's
   * own verification, and its observe + commit + output callbacks.
   */
  readonly proposeMs: number;
  readonly scoreMs: number;
  readonly verifyMs: number;
  readonly commitMs: number;
  /** Draft-model speculators: tree rows the draft model computed for this step's proposal (the root's included). */
  readonly draftRows?: number;
  /** Draft-model speculators: tree rows that took the draft distribution of an earlier row with the same context instead (gsd). */
  readonly draftReused?: number;
  /** On the request's last step only: why it ended. */
  readonly stop?: StopReason;
}

/** Why a request ended: a stop token (EOS, BOS), its token limit, or its context full. */
export type StopReason = 'eos' | 'max-tokens' | 'context';

export const STOP_REASONS: readonly StopReason[] = ['eos', 'max-tokens', 'context'];

/** What one step adds to a request's output. */
export interface Appended {
  /** Tokens appended to the output. */
  readonly kept: number[];
  /** The step's `emitted` count: `kept`, and the stop token that ended the request. */
  readonly produced: number;
  /** Set when the request ends with this step. */
  readonly stop?: StopReason;
}

/**
 * Appends a step's emitted tokens to `out` up to a stop token or `maxTokens`
 * (a negative token: nothing known past the context's end); `contextFull`
 * (asked after appending) ends the request there.
 */
export function appendEmitted(out: number[], emitted: readonly number[], stopTokens: readonly number[], maxTokens: number, contextFull: () => boolean): Appended {
  const kept: number[] = [];
  for (const t of emitted) {
    if (out.length >= maxTokens) return { kept, produced: kept.length, stop: 'max-tokens' };
    if (t < 0) return { kept, produced: kept.length, stop: 'context' };
    if (stopTokens.includes(t)) return { kept, produced: kept.length + 1, stop: 'eos' };
    kept.push(t);
    out.push(t);
  }
  const stop = out.length >= maxTokens ? 'max-tokens' : contextFull() ? 'context' : undefined;
  return { kept, produced: kept.length, stop };
}

/** The record of one step: counts from the tree and the verification outcome, times as measured. */
export function stepRecord(
  request: number,
  step: number,
  tree: { readonly tokens: Int32Array; readonly depths: Int32Array },
  outcome: { readonly path: Int32Array; readonly nextKind: 'bonus' | 'recovered' },
  emitted: number,
  ms: Pick<StepRecord, 'proposeMs' | 'scoreMs' | 'verifyMs' | 'commitMs'>,
  stop?: StopReason,
  work?: DraftWork,
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
    ...(work === undefined ? {} : { draftRows: work.rows, draftReused: work.reused }),
    ...(stop === undefined ? {} : { stop }),
  };
}
