/**
 * Turns single-sequence score() calls that concurrent callers issue in the
 * same turn of the event loop into one batched forward: when the requests of
 * a batch grow their draft trees concurrently, each tree level of an SSM is
 * one forward for all of them instead of one per request. Forwards run one
 * at a time, in call order; a sequence called twice before a forward goes
 * into the next one.
 */
export type BatchScorer<S, T, L> = (sequences: readonly S[], trees: readonly T[]) => Promise<L[]>;

interface Pending<S, T, L> {
  readonly seq: S;
  readonly tree: T;
  readonly resolve: (logits: L) => void;
  readonly reject: (error: unknown) => void;
}

export class ScoreCoalescer<S, T, L> {
  private queue: Pending<S, T, L>[] = [];
  private scheduled = false;
  private running = false;

  constructor(private readonly scoreBatch: BatchScorer<S, T, L>) {}

  score(seq: S, tree: T): Promise<L> {
    return new Promise<L>((resolve, reject) => {
      this.queue.push({ seq, tree, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Flushes once the promise callbacks now pending have run (process.nextTick
   * from a promise callback runs after Node drains the microtask queue): every
   * caller that the last forward resumed has queued its next call by then, and
   * no event-loop turn is spent.
   */
  private schedule(): void {
    if (this.scheduled || this.running || this.queue.length === 0) return;
    this.scheduled = true;
    process.nextTick(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch: Pending<S, T, L>[] = [];
    const later: Pending<S, T, L>[] = [];
    const seen = new Set<S>();
    for (const p of this.queue) {
      if (seen.has(p.seq)) later.push(p);
      else {
        seen.add(p.seq);
        batch.push(p);
      }
    }
    this.queue = later;
    this.running = true;
    try {
      const logits = await this.scoreBatch(
        batch.map((p) => p.seq),
        batch.map((p) => p.tree),
      );
      batch.forEach((p, i) => p.resolve(logits[i]));
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
