/**
 * Progress of a run: a bar on a terminal (cells, prompts, tokens/s, the
 * current cell), plain log lines otherwise (one when each cell ends).
 */
import cliProgress from 'cli-progress';
import type { Clock } from '../core/types.js';

export interface Progress {
  startCell(id: string, label: string, requests: number): void;
  /** A decode call finished: its requests and generated tokens. */
  batch(requests: number, tokens: number): void;
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
  cell = { id: '', label: '', requests: 0, tokens: 0, start: 0 };

  constructor(readonly o: ProgressOptions) {}

  start(id: string, label: string, requests: number): void {
    this.cell = { id, label, requests, tokens: 0, start: this.o.clock.nowMs() };
  }

  add(requests: number, tokens: number): void {
    this.requestsDone += requests;
    this.cell.tokens += tokens;
  }

  seconds(): number {
    return (this.o.clock.nowMs() - this.cell.start) / 1000;
  }

  tokensPerSecond(): number {
    const s = this.seconds();
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

  batch(requests: number, tokens: number): void {
    this.t.add(requests, tokens);
  }

  endCell(detail: string): void {
    const t = this.t;
    t.cellsDone++;
    const c = t.cell;
    const what = `${c.requests} prompts, ${c.tokens} tokens, ${t.tokensPerSecond().toFixed(0)} tokens/s, ${t.seconds().toFixed(1)} s`;
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

  batch(requests: number, tokens: number): void {
    this.t.add(requests, tokens);
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
