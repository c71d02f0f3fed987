/**
 * The `sweep:` grid of an experiment file: axes (a key path, or several
 * joined by "," varied together, and their values), the cartesian product
 * in a fixed order (first axis slowest) and each point applied to the
 * file's other keys. A sweep value written as a mapping of exactly `name`
 * and `value` is `value`, labelled `name` in tables and charts.
 */
import type { ConfigIssue, ConfigSource, KeyPath } from './config-source.js';
import { formatPath } from './config-source.js';

export interface SweepAxis {
  /** The key as written, e.g. 'policy.expansion' or 'verifier.kind,sampling.temperature'. */
  readonly key: string;
  /** The key paths it sets ('0', '1', ... become list indices). */
  readonly paths: readonly KeyPath[];
  /** Its values; for several paths, each value is a list of one value per path. */
  readonly values: readonly unknown[];
  /** The name of each value (`{name, value}` in the file), or undefined. */
  readonly names: readonly (string | undefined)[];
}

export interface SweepPoint {
  /** Position in the grid (cell ids follow it). */
  readonly index: number;
  /** Value index per axis. */
  readonly choice: readonly number[];
  /** The value of each key path (path text -> value). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** Keys no sweep may vary. */
const FIXED = new Set(['sweep', 'name', 'description', 'measure']);
/** More cells than this is a mistake, not an experiment. */
export const MAX_CELLS = 10_000;

/** 'a.b.0' -> ['a', 'b', 0]. */
function splitKeyPath(key: string): KeyPath {
  return key.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The sweep's axes, or the problems of its shape. */
export function sweepAxes(sweep: unknown, src: ConfigSource): { axes: SweepAxis[]; issues: ConfigIssue[] } {
  if (sweep === undefined || sweep === null) return { axes: [], issues: [] };
  if (typeof sweep !== 'object' || Array.isArray(sweep)) {
    return { axes: [], issues: [src.issue(['sweep'], 'expected a mapping of key paths to lists of values, e.g. `verifier.kind: [mss, ns]`')] };
  }
  const axes: SweepAxis[] = [];
  const issues: ConfigIssue[] = [];
  for (const [key, written] of Object.entries(sweep as Record<string, unknown>)) {
    const values = Array.isArray(written) ? written.map(unnamed) : written;
    const problem = axisProblem(key, values) ?? nameProblem(written as unknown[]);
    if (problem) issues.push(src.issue(['sweep', key], problem));
    else axes.push({ key, paths: key.split(',').map((k) => splitKeyPath(k.trim())), values: values as unknown[], names: (written as unknown[]).map(nameOf) });
  }
  const cells = axes.reduce((n, a) => n * a.values.length, 1);
  if (cells > MAX_CELLS) issues.push(src.issue(['sweep'], `the grid has ${cells} cells; at most ${MAX_CELLS}`));
  issues.push(...overlaps(axes, src));
  return { axes, issues };
}

function axisProblem(key: string, values: unknown): string | undefined {
  const paths = key.split(',').map((k) => k.trim());
  const bad = paths.find((p) => p === '' || p.split('.').some((s) => s === ''));
  if (bad !== undefined) return `'${key}' is not a key path (keys joined by ".", several paths joined by ",")`;
  const fixed = paths.find((p) => FIXED.has(p.split('.')[0]));
  if (fixed !== undefined) return `'${fixed.split('.')[0]}' cannot be swept`;
  if (!Array.isArray(values) || values.length === 0) return 'expected a non-empty list of values';
  if (paths.length > 1) {
    const wrong = values.findIndex((v) => !Array.isArray(v) || v.length !== paths.length);
    if (wrong >= 0) return `value ${wrong + 1} must be a list of ${paths.length} values, one per key path (${paths.join(', ')})`;
  }
  return undefined;
}

/** Whether `v` is a named sweep value: a mapping of exactly `name` and `value`. */
function isNamed(v: unknown): v is { name: unknown; value: unknown } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).sort().join(',') === 'name,value';
}

/** A sweep value without its name. */
function unnamed(v: unknown): unknown {
  return isNamed(v) ? v.value : v;
}

function nameOf(v: unknown): string | undefined {
  return isNamed(v) ? String(v.name) : undefined;
}

/** Names must be non-empty text, distinct within the axis. */
function nameProblem(written: readonly unknown[]): string | undefined {
  const bad = written.findIndex((v) => isNamed(v) && (typeof v.name !== 'string' || v.name.trim() === ''));
  if (bad >= 0) return `value ${bad + 1}: name must be a non-empty text`;
  const names = written.map(nameOf).filter((n) => n !== undefined);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  return twice === undefined ? undefined : `the name '${twice}' is given to two values; names label cells, so each must differ`;
}

/** Two axes setting the same path, or one inside the other, would fight. */
function overlaps(axes: readonly SweepAxis[], src: ConfigSource): ConfigIssue[] {
  const all = axes.flatMap((a) => a.paths.map((p) => ({ key: a.key, p })));
  const issues: ConfigIssue[] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = 0; j < i; j++) {
      if (isPrefix(all[i].p, all[j].p) || isPrefix(all[j].p, all[i].p)) {
        issues.push(src.issue(['sweep', all[i].key], `overlaps '${formatPath(all[j].p)}' (swept too); sweep each key once`));
      }
    }
  }
  return issues;
}

function isPrefix(prefix: KeyPath, path: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => String(s) === String(path[i]));
}

/** Every point of the grid, first axis slowest; one point (index 0) without axes. */
export function sweepPoints(axes: readonly SweepAxis[]): SweepPoint[] {
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  return Array.from({ length: total }, (_, index) => {
    const choice: number[] = [];
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      choice[a] = rest % axes[a].values.length;
      rest = Math.floor(rest / axes[a].values.length);
    }
    const params: Record<string, unknown> = {};
    axes.forEach((a, i) => a.paths.forEach((p, j) => (params[formatKey(p)] = valueOf(a, choice[i], j))));
    return { index, choice, params };
  });
}

function formatKey(p: KeyPath): string {
  return p.map(String).join('.');
}

function valueOf(axis: SweepAxis, choice: number, pathIndex: number): unknown {
  const v = axis.values[choice];
  return axis.paths.length > 1 ? (v as unknown[])[pathIndex] : v;
}

/** `base` (the file without `sweep`) with the point's values set at their paths (a deep copy). */
export function applyPoint(base: unknown, axes: readonly SweepAxis[], point: SweepPoint): unknown {
  const out = structuredClone(base) as Record<string, unknown>;
  axes.forEach((a, i) => a.paths.forEach((p, j) => setPath(out, p, structuredClone(valueOf(a, point.choice[i], j)))));
  return out;
}

/** Sets `value` at `path`, creating mappings (or lists, for numeric keys) on the way. */
function setPath(root: Record<string, unknown>, path: KeyPath, value: unknown): void {
  let node: Record<string | number, unknown> = root;
  path.forEach((seg, i) => {
    if (i === path.length - 1) {
      node[seg] = value;
      return;
    }
    const next = node[seg];
    if (next === null || typeof next !== 'object') node[seg] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[seg] as Record<string | number, unknown>;
  });
}

/**
 * Where a problem at `path` of a cell's config is in the file: inside a
 * sweep value when the path is swept (with a note saying which value), else
 * the file's own key (or, for a parent of a swept path the file lacks, the
 * sweep key).
 */
export function locate(path: KeyPath, axes: readonly SweepAxis[], point: SweepPoint, src: ConfigSource): { docPath: KeyPath; note: string } {
  for (const [i, a] of axes.entries()) {
    for (const [j, p] of a.paths.entries()) {
      const named = a.names[point.choice[i]] !== undefined ? ['value'] : [];
      const value: (string | number)[] = ['sweep', a.key, point.choice[i], ...named, ...(a.paths.length > 1 ? [j] : [])];
      if (isPrefix(p, path)) return { docPath: [...value, ...path.slice(p.length)], note: ` (sweep value ${point.choice[i] + 1} of '${a.key}')` };
      if (isPrefix(path, p) && !src.has(path)) return { docPath: value, note: ` (sweep value ${point.choice[i] + 1} of '${a.key}')` };
    }
  }
  return { docPath: path, note: '' };
}
