/**
 * A recorded greedy trace as the target model (`specinfer replay`): each
 * sequence follows its prompt's trace entry. score() computes nothing up
 * front; row i of its logits is built when asked: a one-hot row of the
 * trace's next token when the root path to row i (the tokens committed so
 * far, then the tree's path) agrees with the trace, else a zero row (argmax
 * token 0, no meaning: the target was not recorded there). Under greedy
 * verification the decoding loop then accepts and emits exactly what the
 * target's greedy decoding would.
 */
import { ConfigError } from '../core/errors.js';
import type { Logits, Model, ModelInfo, Sequence } from '../core/model.js';
import type { TreeShape } from '../core/tree-shape.js';
import { pathTo, treeDepths } from '../tree/tree.js';
import type { TraceEntry } from './trace.js';

const promptKey = (tokens: ArrayLike<number>): string => Array.from(tokens).join(',');

export class TraceModel implements Model {
  private readonly entries = new Map<string, TraceEntry>();

  /** `info.maxContext` must be the entries' (the target's) context; their prompts select them in open(). */
  constructor(
    readonly info: ModelInfo,
    entries: readonly TraceEntry[],
  ) {
    for (const e of entries) {
      if (e.maxContext !== info.maxContext) throw new ConfigError(`trace entry ${e.workload}/${e.prompt} has context ${e.maxContext}, not the target's ${info.maxContext}`);
      this.entries.set(promptKey(e.promptTokens), e);
    }
  }

  async open(prompt: Int32Array): Promise<Sequence> {
    const entry = this.entries.get(promptKey(prompt));
    if (entry === undefined)
      throw new ConfigError(`the trace of target ${this.info.id} has no entry for a prompt of ${prompt.length} tokens [${Array.from(prompt.slice(0, 8)).join(', ')}, ...]`);
    return new TraceSequence(entry, this.info.vocabSize);
  }

  async scoreBatch(sequences: readonly Sequence[], trees: readonly TreeShape[]): Promise<Logits[]> {
    return sequences.map((s, b) => {
      if (!(s instanceof TraceSequence)) throw new TypeError(`TraceModel.scoreBatch: sequence ${b} was not opened by a TraceModel`);
      return s.scoreNow(trees[b]);
    });
  }

  async dispose(): Promise<void> {}
}

/** One request along its trace entry: tokens = prompt, then every committed token and the root. */
class TraceSequence implements Sequence {
  private readonly all: number[];
  /** How many leading tokens of `all` agree with prompt + trace. */
  private agreeing: number;
  private pending?: TreeShape;

  constructor(
    private readonly entry: TraceEntry,
    private readonly vocabSize: number,
  ) {
    this.all = [...entry.promptTokens];
    this.agreeing = this.all.length;
  }

  get committedLength(): number {
    return this.all.length - 1;
  }

  get root(): number {
    return this.all[this.all.length - 1];
  }

  get tokens(): readonly number[] {
    return this.all;
  }

  get length(): number {
    return this.all.length;
  }

  async score(tree: TreeShape): Promise<Logits> {
    return this.scoreNow(tree);
  }

  /** score() without the promise: rows are built lazily, each once. */
  scoreNow(tree: TreeShape): Logits {
    const deepest = treeDepths(tree.parents).reduce((m, d) => Math.max(m, d), 0);
    if (this.all.length + deepest > this.entry.maxContext) {
      throw new RangeError(`trace model: context full: ${this.all.length} tokens + a tree of depth ${deepest} exceed the context of ${this.entry.maxContext}`);
    }
    this.pending = tree;
    const rows: (Float32Array | undefined)[] = [];
    const base = this.all.length;
    const onTrace = this.agreeing === base;
    const row = (i: number): Float32Array => {
      if (i < 0 || i > tree.tokens.length) throw new RangeError(`trace model: row ${i} of ${tree.tokens.length + 1}`);
      const r = rows[i] ?? this.rowAt(tree, i, onTrace, base);
      rows[i] = r;
      return r;
    };
    return { rows: tree.tokens.length + 1, vocabSize: this.vocabSize, row };
  }

  commit(path: Int32Array, next: number): void {
    const tree = this.pending;
    if (tree === undefined && path.length > 0) throw new RangeError('trace model: commit of a tree path before score()');
    const kept = [...Array.from(path, (node) => (tree as TreeShape).tokens[node]), next];
    for (const t of kept) {
      if (this.agreeing === this.all.length && this.traceToken(this.all.length) === t) this.agreeing++;
      this.all.push(t);
    }
    this.pending = undefined;
  }

  /** Row i (0 = root, i + 1 = node i) of a tree scored at `base` tokens. */
  private rowAt(tree: TreeShape, i: number, onTrace: boolean, base: number): Float32Array {
    const out = new Float32Array(this.vocabSize);
    const path = pathTo(tree.parents, i - 1);
    if (!onTrace || !path.every((node, d) => tree.tokens[node] === this.traceToken(base + d))) return out;
    const next = this.traceToken(base + path.length);
    if (next === undefined) throw this.tooShort();
    out[next] = 1;
    return out;
  }

  /** The trace's token at sequence position `pos` (prompt included), or undefined past the trace. */
  private traceToken(pos: number): number | undefined {
    return pos < this.entry.promptTokens.length ? this.entry.promptTokens[pos] : this.entry.tokens[pos - this.entry.promptTokens.length];
  }

  private tooShort(): ConfigError {
    const e = this.entry;
    return new ConfigError(
      `the trace of ${e.workload}/${e.prompt} ends (after ${e.tokens.length} tokens) before the tree does; record it again with \`specinfer trace\` (with a larger --extra if the trees are deep)`,
    );
  }
}
