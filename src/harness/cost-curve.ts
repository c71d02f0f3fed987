/**
 * Tree budgets from the target's measured cost curve (issue 13): for a
 * quantized target, a tree forward of N rows costs several times a 1-row
 * forward, so the default tree policies follow the curve that
 * `npm run bench:engine` measured for the same model, thread count and weight
 * type (docs/performance.md#tree-budgets-from-the-cost-curve):
 *  - sequoia without `hardware`: the curve becomes its latency input (draft cost 0);
 *  - dynamic without `maxNodes`: the node budget N in 0..run budget maximizing
 *    expected tokens per millisecond, (1 + G(N, depth)) / t(N + 1), with G the
 *    Sequoia DP's expected accepted tokens of the best N-node tree for the
 *    acceptance vector (sequoia's default: stories260K-ssm-m against
 *    stories260K, whose function stories260K-x78M computes) and t the curve
 *    (ms by rows, made non-decreasing, interpolated).
 * Float32 targets and policies given those options explicitly are left as they are.
 */
import os from 'node:os';
import { weightsType, type ModelWeights } from '../model/weights.js';
import { POLICY_DEFAULTS, type PolicyConfig } from '../tree/policies.js';
import { latencyCurve, SequoiaTable } from '../tree/sequoia.js';
import { findForwardLatency } from './latency.js';

/** The node budget chosen from a curve, with what it expects. */
export interface CurveBudget {
  readonly nodes: number;
  /** 1 + G(nodes, depth). */
  readonly tokensPerStep: number;
  /** t(nodes + 1), ms. */
  readonly forwardMs: number;
}

/**
 * The N in 0..maxNodes maximizing (1 + G(N, depth)) / t(N + 1) for
 * acceptance vector `acceptance` and latency curve `forwardMs` (ms by rows);
 * ties go to the smaller N.
 */
export function curveBudget(forwardMs: Readonly<Record<string, number>>, acceptance: readonly number[], depth: number, maxNodes: number): CurveBudget {
  const t = latencyCurve(forwardMs);
  const table = new SequoiaTable(acceptance, maxNodes, depth);
  let best: CurveBudget = { nodes: 0, tokensPerStep: 1, forwardMs: t(1) };
  for (let n = 1; n <= maxNodes; n++) {
    const tokens = 1 + table.value(n, depth);
    if (tokens / t(n + 1) > best.tokensPerStep / best.forwardMs + 1e-12) best = { nodes: n, tokensPerStep: tokens, forwardMs: t(n + 1) };
  }
  return best;
}

/** Where the curve is looked up and where its one note goes. */
export interface CostCurveSource {
  /** An engine benchmark file (ENGINE_BENCH_FILE of latency.ts). */
  readonly file: string;
  /** Called once per run built: which curve the policies use, or that none was found. */
  readonly note?: (line: string) => void;
}

/** What a run's target is, for the curve lookup. */
export interface CurveTarget {
  /** The model reference the run was given (for the hint to measure a curve). */
  readonly ref: string;
  /** The loaded model's id: benchmark entries are keyed by it. */
  readonly id: string;
  readonly weights: ModelWeights;
  /** Intra-op threads (0 = one per core; absent = 1). */
  readonly threads: number | undefined;
  /** The run's node budget. */
  readonly maxNodes: number;
}

/** A policy config with the curve's defaults filled in (curvePolicy), or the policy unchanged; `isDefault`: the speculator's own default, not given. */
export type PolicyTuning = (p: PolicyConfig, isDefault?: boolean) => PolicyConfig;

/**
 * The tuning of a run's policies: identity for a float32 (or mixed) target;
 * for a quantized one, curvePolicy with its curve from `source.file`, or
 * identity and a note when the file has none.
 */
export function costCurveTuning(target: CurveTarget, source: CostCurveSource | undefined): PolicyTuning {
  const weights = weightsType(target.weights);
  if (source === undefined || (weights !== 'q8_0' && weights !== 'q4_0')) return (p) => p;
  const threads = target.threads === 0 ? os.availableParallelism() : (target.threads ?? 1);
  const curve = findForwardLatency(source.file, target.id, threads, weights);
  const what = `${target.id} (${weights}, ${threads} thread${threads === 1 ? '' : 's'})`;
  if (curve === undefined) {
    source.note?.(`no cost curve for ${what} in ${source.file}: tree policies keep their defaults (measure one: npm run bench:engine -- --models ${target.ref} --sections curve)`);
    return (p) => p;
  }
  let noted = false;
  return (p, isDefault = false) => {
    const tuned = curvePolicy(p, curve, target.maxNodes, isDefault);
    if (tuned !== p && !noted) {
      noted = true;
      const budget = tuned.kind === 'dynamic' ? `, dynamic node budget ${tuned.maxNodes}` : fixedTreeNote(tuned);
      source.note?.(`tree policy ${p.kind} follows the cost curve of ${what} from ${source.file}${budget}`);
    }
    return tuned;
  };
}

/**
 * The curve made non-decreasing in rows (each point raised to the largest
 * time of fewer rows): a forward of more rows never costs less, so a dip
 * measured on a busy machine does not pick a budget.
 */
export function monotoneCurve(forwardMs: Readonly<Record<string, number>>): Record<string, number> {
  const pts = Object.entries(forwardMs)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0]);
  let top = -Infinity;
  return Object.fromEntries(pts.map(([k, v]) => [String(k), (top = Math.max(top, v))]));
}

/**
 * Sequoia without hardware gets the (monotone) curve; dynamic without
 * maxNodes gets curveBudget's nodes; a speculator's default static or chain
 * tree (`isDefault`) is cut to levels whose nodes fit curveBudget's nodes for
 * its depth (at least one node); any other policy is returned as is.
 */
export function curvePolicy(p: PolicyConfig, measured: Readonly<Record<string, number>>, maxNodes: number, isDefault = false): PolicyConfig {
  const forwardMs = monotoneCurve(measured);
  const budget = (depth: number): number => curveBudget(forwardMs, POLICY_DEFAULTS.sequoia.acceptance, depth, maxNodes).nodes;
  if (p.kind === 'sequoia' && p.hardware === undefined) return { ...p, hardware: { forwardMs, draftMsPerLevel: 0 } };
  if (p.kind === 'dynamic' && p.maxNodes === undefined) return { ...p, maxNodes: budget(p.depth) };
  if (isDefault && p.kind === 'static') {
    const expansion = fitExpansion(p.expansion, budget(p.expansion.length));
    return expansion.length === p.expansion.length && expansion.every((k, i) => k === p.expansion[i]) ? p : { ...p, expansion };
  }
  if (isDefault && p.kind === 'chain') {
    const depth = Math.max(1, Math.min(p.depth, budget(p.depth)));
    return depth === p.depth ? p : { ...p, depth };
  }
  return p;
}

/**
 * The leading levels of expansion <k1, ..., km> whose nodes (k1 + k1 k2 +
 * ...) fit `nodes`; when not even the first does, <max(1, nodes)>.
 */
export function fitExpansion(expansion: readonly number[], nodes: number): number[] {
  const out: number[] = [];
  let width = 1;
  let total = 0;
  for (const k of expansion) {
    width *= k;
    if (total + width > nodes) break;
    total += width;
    out.push(k);
  }
  return out.length > 0 ? out : [Math.max(1, Math.min(expansion[0], nodes))];
}

/** ", tree <k1,...,km>" or ", chain of D" for a tuned fixed tree, else ''. */
function fixedTreeNote(p: PolicyConfig): string {
  if (p.kind === 'static') return `, tree <${p.expansion.join(',')}>`;
  if (p.kind === 'chain') return `, chain of ${p.depth}`;
  return '';
}
