/**
 * Cells of an experiment: one per sweep point, plus the incremental-decoding
 * baseline of each target (and batch size) when the file asks for it (the
 * default). Each cell carries its config, the RunPlan resolved from it once
 * (checks.ts; building never resolves again) and the CellInfo the report reads.
 */
import type { ResolvedSpeculator, SpeculatorConfig } from '../speculators/registry.js';
import { GREEDY } from '../sampling/params.js';
import type { CellInfo } from './cell.js';
import { checkRunSpec, type RunPlan, type RunSpec } from './components.js';
import { cellSeeds, cellSpeculator, cellWorkloads, type CellConfig } from './experiment.js';
import { label } from './labels.js';
import type { SweepPoint } from './sweep.js';

export interface CellPlan {
  readonly info: CellInfo;
  /** The cell's config: the file's keys with defaults filled in and its sweep point applied. */
  readonly config: CellConfig;
  /** The checked run of `config`: speculator and policies resolved, verifier created, exactness known. */
  readonly run: RunPlan;
  readonly workloads: readonly string[];
  /** Why its verifier is not exact (a warning: allowed by allowLossy), '' when exact. */
  readonly lossy: string;
}

/** A swept (or the only) cell, labelled `label` (see labels.ts). */
export function sweepCell(config: CellConfig, run: RunPlan, point: SweepPoint, index: number, idWidth: number, lossy: string, label: string): CellPlan {
  const id = `c${String(point.index).padStart(idWidth, '0')}`;
  return plan(config, run, { id, index, label, baseline: false, params: point.params }, lossy);
}

/** Baselines (incremental decoding, greedy) per distinct target (and its weights) and batch size of the decode cells, ids from `targetId`. */
export function baselineCells(cells: readonly { readonly config: CellConfig }[], targetId: (ref: string) => string): CellPlan[] {
  const seen = new Map<string, CellConfig>();
  const seeds = new Map<string, Set<number>>();
  for (const { config } of cells) {
    const key = `${config.target}\u0000${config.targetWeights ?? ''}\u0000${config.batchSize}`;
    if (!config.baseline || config.measure.kind !== 'decode') continue;
    if (!seen.has(key)) seen.set(key, config);
    seeds.set(key, new Set([...(seeds.get(key) ?? []), ...cellSeeds(config)]));
  }
  const used = new Set<string>();
  return [...seen].map(([key, c], index) => {
    const weights = c.targetWeights === undefined ? '' : `-${c.targetWeights}`;
    let id = `baseline-${targetId(c.target).replace(/[^\w.-]+/g, '-')}${weights}${c.batchSize > 1 ? `-b${c.batchSize}` : ''}`;
    while (used.has(id)) id += '_';
    used.add(id);
    const config: CellConfig = {
      ...c,
      seeds: [...(seeds.get(key) as Set<number>)],
      speculator: { kind: 'none' },
      policy: undefined,
      verifier: { kind: 'greedy' },
      sampling: { ...GREEDY },
    };
    const params = c.batchSize > 1 ? { batchSize: c.batchSize } : {};
    return plan(config, checkRunSpec(runSpec(config)), { id, index, label: label(params), baseline: true, params }, '');
  });
}

function plan(config: CellConfig, run: RunPlan, cell: Pick<CellInfo, 'id' | 'index' | 'label' | 'baseline' | 'params'>, lossy: string): CellPlan {
  const info: CellInfo = {
    ...cell,
    target: config.target,
    speculator: speculatorName(run.spec.speculator),
    policy: policyName(run.speculator),
    verifier: config.verifier.kind,
    batchSize: config.batchSize,
    temperature: config.sampling.temperature,
  };
  return { info, config, run, workloads: cellWorkloads(config), lossy };
}

/** The RunSpec of a cell's config. */
export function runSpec(c: CellConfig): RunSpec {
  return {
    target: c.target,
    targetWeights: c.targetWeights,
    speculator: cellSpeculator(c),
    policy: c.policy,
    verifier: c.verifier,
    sampling: c.sampling,
    maxNodes: c.maxNodes,
    allowLossy: c.allowLossy,
    engine: c.engine,
  };
}

function speculatorName(s: SpeculatorConfig): string {
  return s.kind === 'hybrid' ? `hybrid-${s.mode}(${s.parts.map(speculatorName).join('+')})` : s.kind;
}

/** The policy kind the speculator uses (its own, the run's or its default); its parts' '+'-joined for a composite; 'none' when it uses none. */
function policyName(s: ResolvedSpeculator): string {
  if (s.parts.length > 0) return [...new Set(s.parts.map(policyName))].join('+');
  return s.usesPolicy ? s.policy.kind : 'none';
}
