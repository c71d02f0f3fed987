import { EngineError } from '../core/errors.js';
import type { Logits, Model, ModelInfo, Sequence } from '../core/model.js';
import { monotonicClock, type Clock } from '../core/types.js';
import type { LayoutKind } from '../model/graph/llama-graph-fused.js';
import { headDim, type ModelWeights } from '../model/weights.js';
import { EMPTY_TREE, extendsTree, hangBelowChain, treeDepths, treeShapeProblem } from '../tree/tree.js';
import { type TreeShape } from '../core/tree-shape.js';
import { ScoreCoalescer } from './coalesce.js';
import { forwardBatch, newRows, type ForwardItem } from './forward.js';
import { InputCache } from './inputs.js';
import { KvCache, type CacheShape } from './kv-cache.js';
import { KvBufferPool } from './kv-pool.js';
import { rowView } from './logits.js';
import { ForwardSessions, type ForwardSessionOptions } from './sessions.js';

/** What the engine needs of a loaded model. */
export interface EngineSource {
  readonly id: string;
  readonly weights: ModelWeights;
  readonly bosId: number;
  readonly eosIds: readonly number[];
}

export type EngineOptions = ForwardSessionOptions & {
  /** Clock for the engine's own timings; default the monotonic performance clock. */
  readonly clock?: Clock;
};

/** Time spent by the engine since the last reset (milliseconds, monotonic clock). */
export interface EngineTimings {
  forwards: number;
  /** Whole scoreBatch calls: input assembly + session.run + output wrapping. */
  scoreMs: number;
  /** Inside onnxruntime's session.run only. */
  runMs: number;
  commits: number;
  commitMs: number;
}

/** A Llama-family model compiled to an ONNX tree-forward graph and run in onnxruntime. */
export class EngineModel implements Model {
  private readonly sequences = new WeakMap<Sequence, EngineSequence>();
  readonly timings: EngineTimings = { forwards: 0, scoreMs: 0, runMs: 0, commits: 0, commitMs: 0 };
  /** Input buffers reused by forwards of the same shape. */
  private readonly inputCache = new InputCache();
  /** K/V buffers the model's caches gave back when they grew. */
  private readonly kvPool = new KvBufferPool();
  /** Sequence.score() calls of one event-loop turn, as one batched forward. */
  private readonly coalescer = new ScoreCoalescer<Sequence, TreeShape, Logits>((seqs, trees) => this.scoreBatch(seqs, trees));

  private constructor(
    readonly info: ModelInfo,
    private readonly sessions: ForwardSessions,
    private readonly shape: CacheShape,
    readonly clock: Clock,
  ) {}

  static async create(src: EngineSource, opts: EngineOptions = {}): Promise<EngineModel> {
    const c = src.weights.config;
    const layers = opts.layers ?? c.nLayers;
    if (!Number.isInteger(layers) || layers < 1 || layers > c.nLayers) {
      throw new EngineError(`${src.id}: layers must be an integer in 1..${c.nLayers}, got ${layers}`);
    }
    const sessions = await ForwardSessions.create(src.weights, layers, opts);
    const info: ModelInfo = { id: src.id, vocabSize: c.vocabSize, maxContext: c.maxSeqLen, bosId: src.bosId, eosIds: src.eosIds };
    const shape = { layers, kvHeads: c.nKvHeads, headDim: headDim(c) };
    return new EngineModel(info, sessions, shape, opts.clock ?? monotonicClock);
  }

  async open(prompt: Int32Array): Promise<Sequence> {
    if (prompt.length === 0) throw new EngineError(`${this.info.id}: a prompt needs at least one token (BOS)`);
    if (prompt.length > this.info.maxContext) {
      throw new EngineError(`${this.info.id}: the prompt has ${prompt.length} tokens but the model's context is ${this.info.maxContext}; shorten the prompt`);
    }
    const seq = new EngineSequence(this, new KvCache(this.shape, this.kvPool), [...prompt.subarray(0, Math.max(1, prompt.length - 1))]);
    this.sequences.set(seq, seq);
    if (prompt.length > 1) {
      // Prefill: every prompt token but the last is cached; the last becomes the root.
      await seq.score(EMPTY_TREE);
      seq.commit(new Int32Array(0), prompt[prompt.length - 1]);
    }
    return seq;
  }

  async scoreBatch(sequences: readonly Sequence[], trees: readonly TreeShape[]): Promise<Logits[]> {
    if (sequences.length !== trees.length || sequences.length === 0) {
      throw new EngineError(`scoreBatch needs one tree per sequence (got ${sequences.length} sequences, ${trees.length} trees)`);
    }
    const t0 = this.clock.nowMs();
    const states = sequences.map((s) => this.stateOf(s));
    const items = states.map((s, b) => s.prepare(this.checkTree(s, trees[b])));
    const todo = items.filter((it) => newRows(it) > 0);
    if (todo.length > 0) {
      const result = await forwardBatch(this.sessions, this.inputCache, this.shape, this.clock, todo);
      todo.forEach((it, b) => {
        const count = newRows(it);
        it.cache.append(result.fresh, b, count);
        const state = states[items.indexOf(it)];
        for (let r = 0; r < count; r++) state.rowLogits.push(rowView(result.logits, b, result.rows, r, this.info.vocabSize));
      });
      this.timings.forwards++;
      this.timings.runMs += result.runMs;
    }
    this.timings.scoreMs += this.clock.nowMs() - t0;
    return states.map((s, b) => s.logits(trees[b].tokens.length + 1, this.info.vocabSize));
  }

  /** The layout of the graph that runs a forward of `rows` rows (batch x tree rows). */
  layoutFor(rows: number): LayoutKind {
    return this.sessions.layoutFor(rows);
  }

  /** Ends onnxruntime profiling and writes its files, one per layout (models created with profileFilePrefix). */
  endProfiling(): void {
    this.sessions.endProfiling();
  }

  /** One sequence's score(), batched with the other sequences' calls of the same event-loop turn. */
  queueScore(seq: Sequence, tree: TreeShape): Promise<Logits> {
    return this.coalescer.score(seq, tree);
  }

  async dispose(): Promise<void> {
    await this.sessions.dispose();
  }

  private stateOf(s: Sequence): EngineSequence {
    const state = this.sequences.get(s);
    if (!state) throw new EngineError(`a sequence of another model was passed to ${this.info.id}.scoreBatch`);
    return state;
  }

  /** Validates `tree` for sequence `s`; returns it hung below the sequence's uncached tokens. */
  private checkTree(s: EngineSequence, tree: TreeShape): TreeShape {
    const problem = treeShapeProblem(tree);
    if (problem) throw new EngineError(`${this.info.id}: invalid token tree: ${problem}`);
    const whole = hangBelowChain(s.tail, tree);
    if (whole.tokens.length + 1 > this.sessions.maxRequestRows) {
      throw new EngineError(
        `${this.info.id}: a tree of ${whole.tokens.length + 1} rows (root included) exceeds the ${this.sessions.maxRequestRows} rows one forward computes per request; use a smaller tree`,
      );
    }
    const deepest = treeDepths(whole.parents).reduce((m, d) => Math.max(m, d), 0);
    if (s.cache.committed + 1 + deepest > this.info.maxContext) {
      throw new EngineError(`${this.info.id}: context full: ${s.cache.committed} cached tokens + root + a tree of depth ${deepest} exceed the context of ${this.info.maxContext}`);
    }
    // The root tail[0], then whole's nodes: tail[1..] and the tree's tokens.
    this.checkToken(s.tail[0]);
    for (let i = 0; i < whole.tokens.length; i++) this.checkToken(whole.tokens[i]);
    return whole;
  }

  private checkToken(t: number): void {
    if (t < 0 || t >= this.info.vocabSize) throw new EngineError(`${this.info.id}: token id ${t} is outside the vocabulary 0..${this.info.vocabSize - 1}`);
  }

  resetTimings(): void {
    Object.assign(this.timings, { forwards: 0, scoreMs: 0, runMs: 0, commits: 0, commitMs: 0 });
  }

  /** Called by sequences after each commit. */
  countCommit(ms: number): void {
    this.timings.commits++;
    this.timings.commitMs += ms;
  }
}

/**
 * Engine state of one request. `tail` holds the tokens not yet cached (at
 * least the root, its last entry); a score() computes them as a chain with
 * the tree below, and pending rows are reused when the next tree extends the
 * last one (a draft model growing its tree level by level).
 */
class EngineSequence implements Sequence {
  /** The scored tree, rooted at tail[0]: tail[1..] then the caller's tree nodes. */
  private scored: TreeShape | null = null;
  private scoredTail = 0;
  readonly rowLogits: Float32Array[] = [];
  private readonly committedTokens: number[] = [];

  constructor(
    private readonly model: EngineModel,
    readonly cache: KvCache,
    public tail: number[],
  ) {}

  get committedLength(): number {
    return this.cache.committed;
  }

  get root(): number {
    return this.tail[this.tail.length - 1];
  }

  get length(): number {
    return this.committedTokens.length + this.tail.length;
  }

  get tokens(): readonly number[] {
    return [...this.committedTokens, ...this.tail];
  }

  /** Drops pending rows unless `whole` extends the scored tree; returns the forward item. */
  prepare(whole: TreeShape): ForwardItem {
    if (!(this.scored && extendsTree(whole, this.scored))) {
      this.cache.dropPending();
      this.rowLogits.length = 0;
    }
    this.scored = whole;
    this.scoredTail = this.tail.length;
    return { cache: this.cache, root: this.tail[0], tree: whole };
  }

  /** Caller-facing rows: row 0 = the root (the last uncached token), row i + 1 = tree node i. */
  logits(rows: number, vocabSize: number): Logits {
    const offset = this.scoredTail - 1;
    const rowLogits = this.rowLogits;
    return {
      rows,
      vocabSize,
      row(i: number): Float32Array {
        if (i < 0 || i >= rows) throw new RangeError(`logits row ${i} is outside 0..${rows - 1}`);
        return rowLogits[offset + i];
      },
    };
  }

  score(tree: TreeShape): Promise<Logits> {
    return this.model.queueScore(this, tree);
  }

  commit(path: Int32Array, next: number): void {
    const t0 = this.model.clock.nowMs();
    const scored = this.scored;
    if (!scored) {
      if (path.length > 0) throw new EngineError('commit() of a path needs a score() of its tree first');
      this.tail.push(next);
      return;
    }
    const u = this.scoredTail;
    // Caller node i is node u - 1 + i of the scored tree, whose rows are: tail 0..u-1, then node j at row j + 1.
    const nodes = Int32Array.from(path, (node) => node + u - 1);
    checkPath(scored, nodes, u - 2); // the caller's root is scored node u - 2 (-1 when u = 1)
    const keep = Int32Array.from({ length: u + nodes.length }, (_, i) => (i < u ? i : nodes[i - u] + 1));
    this.cache.commit(keep);
    this.committedTokens.push(...this.tail, ...Array.from(nodes, (node) => scored.tokens[node]));
    this.tail = [next];
    this.scored = null;
    this.rowLogits.length = 0;
    this.model.countCommit(this.model.clock.nowMs() - t0);
  }
}

/**
 * `path` (nodes of `tree`) must run down from node `top` (-1 = the tree's root):
 * path[0] a child of `top`, each next node a child of the previous.
 */
function checkPath(tree: TreeShape, path: Int32Array, top: number): void {
  for (let i = 0; i < path.length; i++) {
    const node = path[i];
    const parent = i === 0 ? top : path[i - 1];
    if (node < 0 || node >= tree.tokens.length || tree.parents[node] !== parent) {
      throw new EngineError(`commit path [${path.join(', ')}] is not a root-to-node path of the scored tree (at position ${i})`);
    }
  }
}
