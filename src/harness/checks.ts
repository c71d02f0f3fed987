/**
 * Checks of one cell's config beyond its schema, before any model loads:
 * model references resolve (headers read, weights not), drafts share the
 * target's vocabulary, each speculator definition's own problems hold (e.g.
 * layer-skip fits the target, retrieval corpora hold text), workloads
 * exist, the verifier is exact for the trees and sampling (a warning with
 * allowLossy), and the measure / replay fit the speculator.
 */
import { SpecInferError } from '../core/errors.js';
import { probeModel, type ModelProbe } from '../model/probe.js';
import { needsTargetLogits } from '../speculators/traits.js';
import { speculatorDefinition, speculatorParts, type SpeculatorConfig } from '../speculators/registry.js';
import type { KeyPath } from './config-source.js';
import { checkRunSpec, vocabularyProblem, type RunPlan } from './components.js';
import { cellSpeculator, cellWorkloads, type CellConfig } from './experiment.js';
import type { PathProblem } from './issues.js';
import { runSpec } from './plan.js';
import { readWorkload, type WorkloadPrompt } from './workload.js';

export interface CellCheck {
  readonly errors: PathProblem[];
  /** The cell's resolved run (absent when its speculator, policy or sampling has errors); built later without resolving again. */
  readonly run?: RunPlan;
  /** Allowed by allowLossy: why the verifier is not exact ('' when it is). */
  readonly lossy: string;
}

/** Memoized look-ups shared by the cells of a file (each model probed, each workload read once). */
export class CheckContext {
  private readonly probes = new Map<string, ModelProbe | Error>();
  private readonly workloads = new Map<string, WorkloadPrompt[] | Error>();

  constructor(readonly opts: { readonly replay?: boolean } = {}) {}

  probe(ref: string): ModelProbe {
    return remember(this.probes, ref, () => probeModel(ref));
  }

  workload(ref: string): WorkloadPrompt[] {
    return remember(this.workloads, ref, () => {
      const prompts = readWorkload(ref);
      if (prompts.length === 0) throw new SpecInferError(`workload '${ref}' has no prompts`);
      return prompts;
    });
  }
}

function remember<T>(cache: Map<string, T | Error>, key: string, get: () => T): T {
  if (!cache.has(key)) {
    try {
      cache.set(key, get());
    } catch (e) {
      if (!(e instanceof SpecInferError)) throw e;
      cache.set(key, e);
    }
  }
  const v = cache.get(key) as T | Error;
  if (v instanceof Error) throw v;
  return v;
}

/** Runs `f`; a SpecInferError becomes a problem at `path`. */
function attempt<T>(errors: PathProblem[], path: KeyPath, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof SpecInferError)) throw e;
    errors.push({ path, problem: e.message });
    return undefined;
  }
}

export function checkCell(c: CellConfig, ctx: CheckContext): CellCheck {
  const errors: PathProblem[] = [];
  const target = attempt(errors, ['target'], () => ctx.probe(c.target));
  const specPath: KeyPath = ['speculator'];
  if (Array.isArray(c.speculator)) c.speculator.forEach((s, i) => checkModels(s, [...specPath, i], target, ctx, errors));
  else checkModels(c.speculator, specPath, target, ctx, errors);
  const workloads = cellWorkloads(c);
  workloads.forEach((w, i) => attempt(errors, Array.isArray(c.workload) ? ['workload', i] : ['workload'], () => ctx.workload(w)));
  errors.push(...measureProblems(c, ctx));
  // Resolved with allowLossy so that a lossy verifier is reported at its key; the plan keeps the spec's own speculator objects.
  const checked = attempt(errors, specPath, () => checkRunSpec({ ...runSpec(c), allowLossy: true }));
  const run = checked && { ...checked, spec: { ...checked.spec, allowLossy: c.allowLossy } };
  if (c.measure.kind !== 'decode') return { errors, run, lossy: '' };
  const lossy = checked?.lossyReason ?? '';
  if (lossy !== '' && !c.allowLossy) errors.push({ path: ['verifier', 'kind'], problem: `${lossy}; pick another verifier, or set allowLossy: true to run it anyway` });
  return { errors, run, lossy };
}

/**
 * Draft models resolve and share the target's vocabulary; each definition's
 * own problems (e.g. layer-skip fits the target's layers, a retrieval corpus
 * exists and holds text); a composite's parts likewise, at `parts.i`.
 */
function checkModels(s: SpeculatorConfig, path: KeyPath, target: ModelProbe | undefined, ctx: CheckContext, errors: PathProblem[]): void {
  const def = speculatorDefinition(s.kind);
  const parts = speculatorParts(s);
  parts.forEach((p, i) => checkModels(p, [...path, 'parts', i], target, ctx, errors));
  for (const p of def.problems(s, target)) errors.push({ path: [...path, p.path], problem: p.problem });
  if (parts.length > 0) return;
  def.models(s).forEach((ref, i) => {
    const draft = attempt(errors, [...path, 'models', i], () => ctx.probe(ref));
    const problem = draft && target ? vocabularyProblem(draft, target) : undefined;
    if (problem) errors.push({ path: [...path, 'models', i], problem });
  });
}

function measureProblems(c: CellConfig, ctx: CheckContext): PathProblem[] {
  const s = cellSpeculator(c);
  const out: PathProblem[] = [];
  if (c.measure.kind === 'topk-agreement') {
    if (s.kind !== 'draft-model' || s.models.length !== 1) {
      out.push({
        path: ['speculator'],
        problem: `measure topk-agreement compares one draft model with the target: use a draft-model speculator with exactly one model (got ${s.kind})`,
      });
    }
    if (ctx.opts.replay) out.push({ path: ['measure', 'kind'], problem: 'replay measures decoding against a trace; topk-agreement runs with `specinfer run`' });
  }
  const needy = needsTargetLogits(s);
  if (ctx.opts.replay && needy.length > 0) {
    out.push({
      path: ['speculator'],
      problem: `speculator '${needy[0]}' learns from the target's logits at every step, which a trace does not hold, so it cannot be replayed; run it with \`specinfer run\``,
    });
  }
  if (ctx.opts.replay && c.sampling.temperature !== 0) {
    out.push({ path: ['sampling', 'temperature'], problem: `replay verifies greedily against the target's greedy trace: temperature must be 0, got ${c.sampling.temperature}` });
  }
  return out;
}
