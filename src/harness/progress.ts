/**
 * Progress of a run: a bar on a terminal (cells, prompts, tokens/s, the
 * current cell), plain log lines otherwise (one when each cell ends).
 * tokens/s counts decoding only (the cell's decode calls); model loading and
 * warm-up are shown apart.
 */
import cliProgress from 'cli-progress';
import type { Clock } from '../core/types.js';

export interface Progress {
  startCell(id: string, label: string, requests: number): void;
  /** A decode call finished: its requests, generated tokens and wall milliseconds (model loading and warm-up excluded). */
  batch(requests: number, tokens: number, ms: number): void;
  /** The cell finished; `detail` is appended to its log line (e.g. tokens/step). */
  endCell(detail: string): void;
  /** A cell already done (resume). */
  skipCell(id: string, requests: number): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream;
  /** A terminal: draw a bar; else log lines. */
  readonly tty: boolean;
  readonly cells: number;
  readonly requests: number;
  readonly clock: Clock;
}

export const SILENT: Progress = { startCell() {}, batch() {}, endCell() {}, skipCell() {}, stop() {} };

export function createProgress(o: ProgressOptions): Progress {
  return o.tty ? new BarProgress(o) : new LogProgress(o);
}

/** Counts shared by both displays. */
class Tally {
  cellsDone = 0;
  requestsDone = 0;
  cell = { id: '', label: '', requests: 0, tokens: 0, decodeMs: 0, start: 0 };

  constructor(readonly o: ProgressOptions) {}

  start(id: string, label: string, requests: number): void {
    this.cell = { id, label, requests, tokens: 0, decodeMs: 0, start: this.o.clock.nowMs() };
  }

  add(requests: number, tokens: number, ms: number): void {
    this.requestsDone += requests;
    this.cell.tokens += tokens;
    this.cell.decodeMs += ms;
  }

  /** Wall seconds since the cell started: loading, warm-up and decoding. */
  seconds(): number {
    return (this.o.clock.nowMs() - this.cell.start) / 1000;
  }

  /** Tokens per second of decoding alone (the cell's decode calls). */
  tokensPerSecond(): number {
    const s = this.cell.decodeMs / 1000;
    return s > 0 ? this.cell.tokens / s : 0;
  }
}

class LogProgress implements Progress {
  private readonly t: Tally;

  constructor(private readonly o: ProgressOptions) {
    this.t = new Tally(o);
  }

  startCell(id: string, label: string, requests: number): void {
    this.t.start(id, label, requests);
  }

  batch(requests: number, tokens: number, ms: number): void {
    this.t.add(requests, tokens, ms);
  }

  endCell(detail: string): void {
    const t = this.t;
    t.cellsDone++;
    const c = t.cell;
    const other = Math.max(0, t.seconds() - c.decodeMs / 1000);
    const what = `${c.requests} prompts, ${c.tokens} tokens, ${t.tokensPerSecond().toFixed(0)} tokens/s decoding, ${t.seconds().toFixed(1)} s (${other.toFixed(1)} s loading and warm-up)`;
    this.o.stream.write(`[${t.cellsDone}/${this.o.cells}] ${c.id}${c.label ? ` ${c.label}` : ''}: ${what}${detail ? `, ${detail}` : ''}\n`);
  }

  skipCell(id: string, requests: number): void {
    this.t.cellsDone++;
    this.t.requestsDone += requests;
    this.o.stream.write(`[${this.t.cellsDone}/${this.o.cells}] ${id}: done before (resumed)\n`);
  }

  stop(): void {}
}

class BarProgress implements Progress {
  private readonly t: Tally;
  private readonly bar: cliProgress.SingleBar;

  constructor(private readonly o: ProgressOptions) {
    this.t = new Tally(o);
    this.bar = new cliProgress.SingleBar({
      stream: o.stream,
      format: '{bar} {percentage}% | cells {cells}/{cellsTotal} | prompts {value}/{total} | {tps} tokens/s | {cell} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
    });
    this.bar.start(o.requests, 0, this.payload());
  }

  private payload(): object {
    return { cells: this.t.cellsDone, cellsTotal: this.o.cells, tps: this.t.tokensPerSecond().toFixed(0), cell: this.t.cell.id };
  }

  startCell(id: string, label: string, requests: number): void {
    this.t.start(id, label, requests);
    this.bar.update(this.t.requestsDone, this.payload());
  }

  batch(requests: number, tokens: number, ms: number): void {
    this.t.add(requests, tokens, ms);
    this.bar.update(this.t.requestsDone, this.payload());
  }

  endCell(): void {
    this.t.cellsDone++;
    this.bar.update(this.t.requestsDone, this.payload());
  }

  skipCell(_id: string, requests: number): void {
    this.t.cellsDone++;
    this.t.requestsDone += requests;
    this.bar.update(this.t.requestsDone, this.payload());
  }

  stop(): void {
    this.bar.stop();
  }
}
