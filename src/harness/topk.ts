/**
 * The topk-agreement measure (SpecInfer Table 1): along the target's own
 * trace of each prompt (greedy at temperature 0, else sampled with the
 * sampling parameters and the request's seed), the rank of the target's
 * token among the draft's logits at the same prefix. Records hold the raw
 * counts per request; shares are computed in src/report/topk.ts.
 */
import { argmax } from '../core/math.js';
import type { Model, Sequence } from '../core/model.js';
import { EMPTY_TREE } from '../tree/tree.js';
import { probabilities, sampleFrom } from '../sampling/transform.js';
import type { Tokenizer } from '../model/formats/tokenizer.js';
import { cellSeeds, cellSpeculator } from './experiment.js';
import { requestRng, type CellContext, type CellPrompts } from './decode-cell.js';
import type { CellPlan } from './plan.js';

/** Counts of one request of a topk-agreement cell. */
export interface TopkRecord {
  readonly cell: string;
  readonly workload: string;
  readonly prompt: string;
  readonly seed: number;
  /** Positions compared (generated target tokens). */
  readonly positions: number;
  /** hits[k - 1] = positions whose target token is among the draft's top k (k = 1..maxK). */
  readonly hits: readonly number[];
}

export async function runTopkCell(plan: CellPlan, prompts: CellPrompts, ctx: CellContext): Promise<TopkRecord[]> {
  const c = plan.config;
  const s = cellSpeculator(c);
  if (s.kind !== 'draft-model' || s.models.length !== 1 || c.measure.kind !== 'topk-agreement') {
    throw new Error(`cell ${plan.info.id}: topk-agreement needs one draft model (validation should have said so)`);
  }
  const maxK = c.measure.maxK;
  const engine = c.engine;
  const targetFile = await ctx.models.load(c.target, c.targetWeights);
  const target = await ctx.models.engine(targetFile, engine);
  const draft = await ctx.models.engine(await ctx.models.load(s.models[0], s.weights), engine);
  const out: TopkRecord[] = [];
  for (const { workload, prompts: list } of prompts) {
    for (const seed of cellSeeds(c)) {
      for (const p of list) {
        const t0 = ctx.clock.nowMs();
        const hits = await compare(target, draft, targetFile.tokenizer, p.prompt, { ...c, rng: requestRng(seed, workload, p.id), maxK });
        out.push({ cell: plan.info.id, workload, prompt: p.id, seed, positions: hits.positions, hits: hits.hits });
        ctx.onBatch?.(1, hits.positions, ctx.clock.nowMs() - t0);
      }
    }
  }
  if (!ctx.models.shared) await Promise.all([target.dispose(), draft.dispose()]);
  return out;
}

interface CompareOptions {
  readonly maxTokens: number;
  readonly sampling: Parameters<typeof probabilities>[1];
  readonly rng: ReturnType<typeof requestRng>;
  readonly maxK: number;
}

/** Steps target and draft together along the target's tokens; tallies the draft rank of each. */
async function compare(target: Model, draft: Model, tok: Tokenizer, text: string, o: CompareOptions): Promise<{ positions: number; hits: number[] }> {
  const prompt = tok.encode(text, { bos: true });
  const t: Sequence = await target.open(prompt);
  const d: Sequence = await draft.open(prompt);
  const maxContext = Math.min(target.info.maxContext, draft.info.maxContext);
  const hits = new Array<number>(o.maxK).fill(0);
  const rng = o.rng.fork('target');
  let positions = 0;
  while (positions < o.maxTokens && t.length < maxContext) {
    const tl = (await t.score(EMPTY_TREE)).row(0);
    const token = o.sampling.temperature === 0 ? argmax(tl) : sampleFrom(probabilities(tl, o.sampling), rng);
    if (token === tok.bosId || token === tok.eosId) break;
    const rank = rankOf((await d.score(EMPTY_TREE)).row(0), token);
    for (let k = rank; k <= o.maxK; k++) hits[k - 1]++;
    positions++;
    t.commit(new Int32Array(0), token);
    d.commit(new Int32Array(0), token);
  }
  return { positions, hits };
}

/** 1-based rank of `token` in `logits` (higher first; ties: lower token id first). */
function rankOf(logits: ArrayLike<number>, token: number): number {
  const v = logits[token];
  let rank = 1;
  for (let i = 0; i < logits.length; i++) if (logits[i] > v || (logits[i] === v && i < token)) rank++;
  return rank;
}
