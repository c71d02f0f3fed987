import { EngineError } from '../core/errors.js';
import type { Logits, Model, ModelInfo, Sequence } from '../core/model.js';
import { monotonicClock, type Clock } from '../core/types.js';
import { buildLlamaGraph, type LlamaGraphOptions } from '../model/llama-graph.js';
import { headDim, type LlamaWeights } from '../model/weights.js';
import { chainTree, treeDepths, treeShapeProblem, type TreeShape } from '../tree/tree.js';
import { forwardBatch } from './forward.js';
import { KvCache, type CacheShape, type PresentKv } from './kv-cache.js';
import { sliceLogits } from './logits.js';
import { OrtSession, type SessionOptions } from './ort.js';

/** What the engine needs of a loaded model. */
export interface EngineSource {
  readonly id: string;
  readonly weights: LlamaWeights;
  readonly bosId: number;
  readonly eosIds: readonly number[];
}

export type EngineOptions = SessionOptions &
  LlamaGraphOptions & {
    /** Clock for the engine's own timings; default the monotonic performance clock. */
    readonly clock?: Clock;
  };

/** Rows of the last score() that commit() picks from. */
interface Pending {
  readonly tree: TreeShape;
  readonly present: PresentKv;
  readonly slot: number;
}

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

  private constructor(
    readonly info: ModelInfo,
    private readonly session: OrtSession,
    private readonly shape: CacheShape,
    readonly clock: Clock,
  ) {}

  static async create(src: EngineSource, opts: EngineOptions = {}): Promise<EngineModel> {
    const c = src.weights.config;
    const layers = opts.layers ?? c.nLayers;
    if (!Number.isInteger(layers) || layers < 1 || layers > c.nLayers) {
      throw new EngineError(`${src.id}: layers must be an integer in 1..${c.nLayers}, got ${layers}`);
    }
    const session = await OrtSession.create(buildLlamaGraph(src.weights, { layers }), opts);
    const info: ModelInfo = { id: src.id, vocabSize: c.vocabSize, maxContext: c.maxSeqLen, bosId: src.bosId, eosIds: src.eosIds };
    const shape = { layers, kvHeads: c.nKvHeads, headDim: headDim(c), maxLength: c.maxSeqLen };
    return new EngineModel(info, session, shape, opts.clock ?? monotonicClock);
  }

  async open(prompt: Int32Array): Promise<Sequence> {
    if (prompt.length === 0) throw new EngineError(`${this.info.id}: a prompt needs at least one token (BOS)`);
    if (prompt.length > this.info.maxContext) {
      throw new EngineError(
        `${this.info.id}: the prompt has ${prompt.length} tokens but the model's context is ${this.info.maxContext}; shorten the prompt`,
      );
    }
    const seq = new EngineSequence(this, new KvCache(this.shape), prompt[0]);
    this.sequences.set(seq, seq);
    if (prompt.length > 1) {
      // Prefill: the prompt minus its last token goes in as a chain below its first token.
      const body = prompt.subarray(1, prompt.length - 1);
      await seq.score(chainTree(body));
      seq.commit(Int32Array.from(body, (_, i) => i), prompt[prompt.length - 1]);
    }
    return seq;
  }

  async scoreBatch(sequences: readonly Sequence[], trees: readonly TreeShape[]): Promise<Logits[]> {
    if (sequences.length !== trees.length || sequences.length === 0) {
      throw new EngineError(`scoreBatch needs one tree per sequence (got ${sequences.length} sequences, ${trees.length} trees)`);
    }
    const t0 = this.clock.nowMs();
    const states = sequences.map((s) => this.stateOf(s));
    trees.forEach((t, b) => this.checkTree(states[b], t));
    const result = await forwardBatch(
      this.session,
      this.shape,
      this.clock,
      states.map((s, b) => ({ cache: s.cache, root: s.root, tree: trees[b] })),
    );
    const logits = states.map((s, b) => {
      s.pending = { tree: trees[b], present: result.present, slot: b };
      return sliceLogits(result.logits, b, result.rows, trees[b].tokens.length + 1, this.info.vocabSize);
    });
    this.timings.forwards++;
    this.timings.runMs += result.runMs;
    this.timings.scoreMs += this.clock.nowMs() - t0;
    return logits;
  }

  resetTimings(): void {
    Object.assign(this.timings, { forwards: 0, scoreMs: 0, runMs: 0, commits: 0, commitMs: 0 });
  }

  /** Called by sequences after each commit. */
  countCommit(ms: number): void {
    this.timings.commits++;
    this.timings.commitMs += ms;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }

  private stateOf(s: Sequence): EngineSequence {
    const state = this.sequences.get(s);
    if (!state) throw new EngineError(`a sequence of another model was passed to ${this.info.id}.scoreBatch`);
    return state;
  }

  private checkTree(s: EngineSequence, tree: TreeShape): void {
    const problem = treeShapeProblem(tree);
    if (problem) throw new EngineError(`${this.info.id}: invalid token tree: ${problem}`);
    const depths = treeDepths(tree.parents);
    const deepest = depths.reduce((m, d) => Math.max(m, d), 0);
    if (s.cache.length + 1 + deepest > this.info.maxContext) {
      throw new EngineError(
        `${this.info.id}: context full: ${s.cache.length} cached tokens + root + a tree of depth ${deepest} exceed the context of ${this.info.maxContext}`,
      );
    }
    for (const t of [s.root, ...tree.tokens]) {
      if (t < 0 || t >= this.info.vocabSize) throw new EngineError(`${this.info.id}: token id ${t} is outside the vocabulary 0..${this.info.vocabSize - 1}`);
    }
  }
}

class EngineSequence implements Sequence {
  pending: Pending | null = null;
  private readonly history: number[];

  constructor(
    private readonly model: EngineModel,
    readonly cache: KvCache,
    public root: number,
  ) {
    this.history = [root];
  }

  get committedLength(): number {
    return this.cache.length;
  }

  get tokens(): readonly number[] {
    return this.history;
  }

  async score(tree: TreeShape): Promise<Logits> {
    return (await this.model.scoreBatch([this], [tree]))[0];
  }

  commit(path: Int32Array, next: number): void {
    const pending = this.pending;
    if (!pending) throw new EngineError('commit() needs a score() first: the root token has no K/V yet');
    const t0 = this.model.clock.nowMs();
    checkPath(pending.tree, path);
    const keepRows = new Int32Array(path.length + 1);
    path.forEach((node, i) => (keepRows[i + 1] = node + 1));
    this.cache.commit(pending.present, pending.slot, keepRows);
    for (const node of path) this.history.push(pending.tree.tokens[node]);
    this.history.push(next);
    this.root = next;
    this.pending = null;
    this.model.countCommit(this.model.clock.nowMs() - t0);
  }
}

/** `path` must run root-to-node: path[0] a child of the root, each next node a child of the previous. */
function checkPath(tree: TreeShape, path: Int32Array): void {
  for (let i = 0; i < path.length; i++) {
    const node = path[i];
    const parent = i === 0 ? -1 : path[i - 1];
    if (node < 0 || node >= tree.tokens.length || tree.parents[node] !== parent) {
      throw new EngineError(`commit path [${path.join(', ')}] is not a root-to-node path of the scored tree (at position ${i})`);
    }
  }
}
