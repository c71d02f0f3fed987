/**
 * Replay (`specinfer replay`): a decode cell measured against a target trace
 * instead of the target. Each step the speculator proposes a tree at the
 * current position; the accepted path is the longest root path whose tokens
 * are the trace's next tokens (greedy verification against the recorded
 * argmax), and the step emits it plus the trace's next token (cut at a stop
 * token or maxTokens, as the loop does). Requests of a
 * batch step together as in the decoding loop, so records equal a real
 * greedy run's, timings aside (scoreMs is 0: no target forward).
 */
import { ConfigError } from '../core/errors.js';
import type { Logits } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { Clock } from '../core/types.js';
import { appendEmitted, stepRecord, type StepRecord, type StopReason } from '../decode/records.js';
import type { DraftWork, SpeculatorSession } from '../speculators/types.js';
import type { DraftTree } from '../tree/draft-tree.js';
import { GREEDY } from '../sampling/params.js';
import type { CellRecord, DecodeResult, OutputRecord } from './cell.js';
import { buildSpeculatorOnly } from './components.js';
import { outputRecord, requestRng, type CellContext, type CellPrompts } from './decode-cell.js';
import { cellSeeds } from './experiment.js';
import type { CellPlan } from './plan.js';
import type { CellMeasure } from './run.js';
import type { Trace, TraceEntry } from './trace.js';

const NO_LOGITS: Logits = { rows: 0, vocabSize: 0, row: () => new Float32Array(0) };

interface Live {
  readonly index: number;
  readonly entry: TraceEntry;
  readonly session: SpeculatorSession;
  readonly rng: ReturnType<typeof createRng>;
  readonly out: number[];
  steps: number;
  /** Why the request ended; undefined while it runs. */
  stop?: StopReason;
}

/** The measure of decode cells against `trace`. */
export function replayMeasure(trace: Trace): CellMeasure {
  return async (plan, prompts, ctx) => replayCell(plan, prompts, ctx, trace);
}

async function replayCell(plan: CellPlan, prompts: CellPrompts, ctx: CellContext, trace: Trace): Promise<DecodeResult> {
  const c = plan.config;
  const speculator = await buildSpeculatorOnly(plan.spec, ctx.models);
  const tok = (await ctx.models.load(plan.spec.target)).tokenizer;
  try {
    const records: CellRecord[] = [];
    const outputs: OutputRecord[] = [];
    let forwards = 0;
    for (const { workload, prompts: list } of prompts) {
      for (const seed of cellSeeds(c)) {
        for (let i = 0; i < list.length; i += c.batchSize) {
          const batch = list.slice(i, i + c.batchSize);
          const entries = batch.map((p) => entryOf(trace, c.target, workload, p.id, c.maxTokens));
          const live: Live[] = [];
          for (const [index, e] of entries.entries()) {
            const rng = requestRng(seed, workload, batch[index].id).fork('draft');
            live.push({ index, entry: e, session: await speculator.begin(Int32Array.from(e.promptTokens), e.referenceTokens?.map((r) => Int32Array.from(r))), rng, out: [], steps: 0 });
          }
          const t0 = ctx.clock.nowMs();
          const got = await replayBatch(live, plan, ctx.clock, forwards);
          forwards += live.reduce((m, l) => Math.max(m, l.steps), 0);
          const at = (i: number) => ({ cell: plan.info.id, workload, prompt: batch[i].id, seed });
          records.push(...got.map((r) => ({ ...r, ...at(r.request) })));
          outputs.push(...live.map((l) => outputRecord(at(l.index), tok, l.entry.promptTokens, l.out, l.stop ?? 'max-tokens')));
          ctx.onBatch?.(batch.length, got.reduce((s, r) => s + r.emitted, 0), ctx.clock.nowMs() - t0);
        }
      }
    }
    return { records, outputs };
  } finally {
    await speculator.dispose();
  }
}

function entryOf(trace: Trace, target: string, workload: string, prompt: string, maxTokens: number): TraceEntry {
  const e = trace.get(target, workload, prompt);
  if (!e) throw new ConfigError(`the trace has no entry for target ${target}, workload ${workload}, prompt ${prompt}; record it again with \`specinfer trace\` on this config`);
  if (e.tokens.length < maxTokens && e.promptTokens.length + e.tokens.length < e.maxContext) {
    throw new ConfigError(`the trace of ${workload}/${prompt} holds ${e.tokens.length} tokens, fewer than maxTokens ${maxTokens}; record it again with \`specinfer trace\` on this config`);
  }
  return e;
}

/** The decoding loop's steps for a batch, with the trace in the target's place; forward ids from `firstForward`. */
async function replayBatch(live: Live[], plan: CellPlan, clock: Clock, firstForward: number): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  const c = plan.config;
  for (let active = live, forward = firstForward; active.length > 0; active = live.filter((l) => l.stop === undefined), forward++) {
    const trees: DraftTree[] = [];
    const proposeMs: number[] = [];
    const work: (DraftWork | undefined)[] = [];
    for (const l of active) {
      const t0 = clock.nowMs();
      const maxDepth = l.entry.maxContext - (l.entry.promptTokens.length + l.out.length);
      trees.push(await l.session.propose({ sampling: GREEDY, rng: l.rng, maxNodes: c.maxNodes, maxDepth }));
      proposeMs.push(clock.nowMs() - t0);
      work.push(l.session.draftWork?.());
    }
    for (const [b, l] of active.entries()) {
      const t2 = clock.nowMs();
      const result = matchTrace(trees[b], l);
      const t3 = clock.nowMs();
      const emitted = [...Array.from(result.path, (node) => trees[b].tokens[node]), result.next];
      await l.session.observe({ tree: trees[b], path: result.path, emitted, target: NO_LOGITS });
      const added = appendEmitted(l.out, emitted, l.entry.stopTokens, c.maxTokens, () => l.entry.promptTokens.length + l.out.length >= l.entry.maxContext);
      l.stop = added.stop;
      if (added.stop !== undefined) await l.session.end?.();
      const ms = { proposeMs: proposeMs[b], scoreMs: 0, verifyMs: t3 - t2, commitMs: clock.nowMs() - t3 };
      records.push({ ...stepRecord(l.index, l.steps++, trees[b], result, added.produced, ms, added.stop, work[b]), forward });
    }
  }
  return records;
}

/** Greedy verification against the trace: the longest root path along the trace's next tokens, then the next one. */
function matchTrace(tree: DraftTree, l: Live): { path: Int32Array; next: number; nextKind: 'bonus' | 'recovered' } {
  const children: number[][] = Array.from({ length: tree.tokens.length + 1 }, () => []);
  tree.parents.forEach((p, i) => children[p + 1].push(i));
  const pos = l.out.length;
  const path: number[] = [];
  let u = 0;
  for (;;) {
    const want = l.entry.tokens[pos + path.length];
    if (want === undefined) {
      // Past the trace: only where the target's context ends (the loop stops there too).
      if (!atContextEnd(l, path.length)) throw traceTooShort(l);
      return { path: Int32Array.from(path), next: -1, nextKind: children[u].length > 0 ? 'recovered' : 'bonus' };
    }
    const v = children[u].find((node) => tree.tokens[node] === want);
    if (v === undefined) return { path: Int32Array.from(path), next: want, nextKind: children[u].length > 0 ? 'recovered' : 'bonus' };
    path.push(v);
    u = v + 1;
  }
}

function atContextEnd(l: Live, accepted: number): boolean {
  return l.entry.promptTokens.length + l.out.length + accepted >= l.entry.maxContext;
}

function traceTooShort(l: Live): ConfigError {
  return new ConfigError(`the trace of ${l.entry.workload}/${l.entry.prompt} ends before the tree does; record it with a larger --extra (\`specinfer trace --extra N\`)`);
}
