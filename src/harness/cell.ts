import type { StepRecord, StopReason } from '../decode/records.js';

/**
 * One cell of an experiment: one point of the sweep grid (or the
 * incremental-decoding baseline of a target), run over the whole workload.
 */
export interface CellInfo {
  /** Stable id, e.g. 'c003' or 'baseline-stories260K'; records refer to it. */
  readonly id: string;
  readonly index: number;
  /** Human-readable label from the sweep values, e.g. 'policy.expansion=1,1,3,1,1,1,1,1 verifier.kind=mss'. */
  readonly label: string;
  /** The incremental-decoding baseline of `target` (tokens/step 1, speedup 1). */
  readonly baseline: boolean;
  readonly target: string;
  /** The sweep values of this cell by key path (empty for a file without sweep). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Component kinds, for tables and charts. */
  readonly speculator: string;
  readonly policy: string;
  readonly verifier: string;
  readonly batchSize: number;
  readonly temperature: number;
}

/** A step record of a run: which cell, which workload prompt, which seed. */
export interface CellRecord extends StepRecord {
  readonly cell: string;
  readonly workload: string;
  readonly prompt: string; // workload prompt id
  readonly seed: number;
}

/** One request's generated output (a line of outputs.jsonl). */
export interface OutputRecord {
  readonly cell: string;
  readonly workload: string;
  readonly prompt: string; // workload prompt id
  readonly seed: number;
  /** Generated token ids, prompt and stop token excluded. */
  readonly tokens: readonly number[];
  /** `tokens` decoded with the target's tokenizer. */
  readonly text: string;
  readonly stop: StopReason;
}

/** What a decode cell measured: its step records and each request's output. */
export interface DecodeResult {
  readonly records: CellRecord[];
  readonly outputs: OutputRecord[];
}
