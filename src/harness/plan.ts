/**
 * Cells of an experiment: one per sweep point, plus the incremental-decoding
 * baseline of each target (and batch size) when the file asks for it (the
 * default). Each cell carries its resolved config, the RunSpec built from
 * it and the CellInfo the report reads.
 */
import { resolvePolicy, type SpeculatorConfig } from '../speculators/registry.js';
import { GREEDY } from '../sampling/params.js';
import type { CellInfo } from './cell.js';
import type { RunSpec } from './components.js';
import { cellSpeculator, cellWorkloads, type CellConfig } from './experiment.js';
import type { SweepPoint } from './sweep.js';

export interface CellPlan {
  readonly info: CellInfo;
  /** The cell's config: the file's keys with defaults filled in and its sweep point applied. */
  readonly config: CellConfig;
  readonly spec: RunSpec;
  readonly workloads: readonly string[];
  /** Why its verifier is not exact (a warning: allowed by allowLossy), '' when exact. */
  readonly lossy: string;
}

/** A swept (or the only) cell. */
export function sweepCell(config: CellConfig, point: SweepPoint, index: number, idWidth: number, lossy: string): CellPlan {
  const id = `c${String(point.index).padStart(idWidth, '0')}`;
  return plan(config, { id, index, label: label(point.params), baseline: false, params: point.params }, lossy);
}

/** Baselines (incremental decoding, greedy) per distinct target (and its weights) and batch size of the decode cells, ids from `targetId`. */
export function baselineCells(cells: readonly { readonly config: CellConfig }[], targetId: (ref: string) => string): CellPlan[] {
  const seen = new Map<string, CellConfig>();
  for (const { config } of cells) {
    const key = `${config.target}\u0000${config.targetWeights ?? ''}\u0000${config.batchSize}`;
    if (config.baseline && config.measure.kind === 'decode' && !seen.has(key)) seen.set(key, config);
  }
  const used = new Set<string>();
  return [...seen.values()].map((c, index) => {
    const weights = c.targetWeights === undefined ? '' : `-${c.targetWeights}`;
    let id = `baseline-${targetId(c.target).replace(/[^\w.-]+/g, '-')}${weights}${c.batchSize > 1 ? `-b${c.batchSize}` : ''}`;
    while (used.has(id)) id += '_';
    used.add(id);
    const config: CellConfig = { ...c, speculator: { kind: 'none' }, policy: undefined, verifier: { kind: 'greedy' }, sampling: { ...GREEDY } };
    const params = c.batchSize > 1 ? { batchSize: c.batchSize } : {};
    return plan(config, { id, index, label: label(params), baseline: true, params }, '');
  });
}

function plan(config: CellConfig, cell: Pick<CellInfo, 'id' | 'index' | 'label' | 'baseline' | 'params'>, lossy: string): CellPlan {
  const spec = runSpec(config);
  const info: CellInfo = {
    ...cell,
    target: config.target,
    speculator: speculatorName(spec.speculator),
    policy: policyName(spec.speculator, spec),
    verifier: config.verifier.kind,
    batchSize: config.batchSize,
    temperature: config.sampling.temperature,
  };
  return { info, config, spec, workloads: cellWorkloads(config), lossy };
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

/** The policy kind the speculator uses (its own, the run's or its default); '+'-joined for hybrids; 'none' without speculation. */
function policyName(s: SpeculatorConfig, spec: RunSpec): string {
  if (s.kind === 'none') return 'none';
  if (s.kind === 'hybrid') return [...new Set(s.parts.map((p) => policyName(p, spec)))].join('+');
  return resolvePolicy(s, spec.policy).kind;
}

/** 'policy.expansion=1,1,3,1 verifier.kind=mss' from a point's values. */
export function label(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(' ');
}

/** A value, short: lists joined by ',', components as kind(option=value,...). */
export function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.map(valueText).join(v.some((x) => typeof x === 'object' && x !== null) ? '+' : ',');
  if (v === null || typeof v !== 'object') return String(v);
  const { kind, ...rest } = v as Record<string, unknown>;
  const inner = Object.entries(rest).map(([k, x]) => `${k}=${Array.isArray(x) && x.every((y) => typeof y !== 'object') ? `[${valueText(x)}]` : valueText(x)}`);
  if (kind === undefined) return `{${inner.join(',')}}`;
  return inner.length > 0 ? `${String(kind)}(${inner.join(',')})` : String(kind);
}
