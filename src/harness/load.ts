/**
 * Loading an experiment file: YAML -> sweep grid -> one config per cell,
 * each checked against the schema and then against models, workloads and
 * the verifier's exactness, all before any model loads. Every problem of
 * the file is reported at once (ConfigFileError), each with its line.
 * The modules its `plugins:` names are imported first (openExperiment), so
 * their definitions are known when the file is checked.
 */
import path from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import { ConfigFileError, ConfigSource, formatIssue, type ConfigIssue } from './config-source.js';
import { CheckContext, checkCell } from './checks.js';
import type { RunPlan } from './components.js';
import { cellConfigSchema, experimentSchema, type CellConfig } from './experiment.js';
import { zodProblems, type PathProblem } from './issues.js';
import { loadPlugins, registerPlugins } from './plugins.js';
import { cellLabels } from './labels.js';
import { baselineCells, sweepCell, type CellPlan } from './plan.js';
import { applyPoint, locate, MAX_CELLS, sweepAxes, sweepPoints, type SweepAxis, type SweepPoint } from './sweep.js';

export interface Experiment {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  /** Baselines first, then the sweep's cells in grid order; `info.index` is the position here. */
  readonly cells: readonly CellPlan[];
  readonly measure: CellConfig['measure']['kind'];
  /** Problems allowed by allowLossy, formatted like errors. */
  readonly warnings: readonly string[];
  /** The file with defaults filled in (and its sweep): config.resolved.yaml. */
  readonly resolvedYaml: string;
  /** The plugin modules its `plugins:` names, as absolute file paths (registered). */
  readonly plugins: readonly string[];
}

export interface LoadOptions {
  /** Check for `specinfer replay` (no speculator that needs the target's logits, greedy only). */
  readonly replay?: boolean;
  /** The file's text (default: read from `file`). */
  readonly text?: string;
}

interface Located {
  readonly issue: ConfigIssue;
  readonly cell: string;
}

/** Imports the plugins an experiment file names, then loads it (loadExperiment). */
export async function openExperiment(file: string, opts: LoadOptions = {}): Promise<Experiment> {
  await loadPlugins(file, opts);
  return loadExperiment(file, opts);
}

/**
 * Reads and checks an experiment file; throws a ConfigFileError listing
 * every problem. Its plugins must have been imported (openExperiment does).
 */
export function loadExperiment(file: string, opts: LoadOptions = {}): Experiment {
  const src = opts.text === undefined ? ConfigSource.read(file) : ConfigSource.parse(file, opts.text);
  const raw = src.value();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigFileError(file, [src.issue([], 'an experiment file is a YAML mapping (target:, speculator:, workload:, seeds:, ...)')]);
  }
  const { sweep, plugins: pluginList, ...base } = raw as Record<string, unknown>;
  const plugins = registerPlugins(pluginList, src);
  // The sweep's well-formed axes still expand, so its problems join those of the cells.
  const { axes, issues } = sweepAxes(sweep, src);
  if (axes.reduce((n, a) => n * a.values.length, 1) > MAX_CELLS) throw new ConfigFileError(file, issues);
  const points = sweepPoints(axes);
  const ctx = new CheckContext({ replay: opts.replay });
  const found: Located[] = [];
  const warnings: Located[] = [];
  const idWidth = Math.max(3, String(points.length - 1).length);
  const cells: { config: CellConfig; run: RunPlan; point: SweepPoint; lossy: string }[] = [];
  for (const point of points) {
    const id = `c${String(point.index).padStart(idWidth, '0')}`;
    const cellRaw = applyPoint(base, axes, point);
    const at = (problems: readonly PathProblem[]) => problems.map((p) => ({ issue: locateIssue(p, axes, point, src), cell: id }));
    const parsed = cellConfigSchema.safeParse(cellRaw);
    if (!parsed.success) {
      // The whole file's schema: a misspelt `plugins` or `sweep` gets its "did you mean" too.
      const problems = zodProblems(parsed.error.issues, experimentSchema, cellRaw);
      found.push(...at(problems), ...at(otherKeyProblems(cellRaw, problems, ctx)));
      continue;
    }
    const check = checkCell(parsed.data, ctx);
    found.push(...at(check.errors));
    if (check.lossy !== '') warnings.push(...at([{ path: ['verifier', 'kind'], problem: `${check.lossy} (allowed by allowLossy: the run is not exact)` }]));
    if (check.run) cells.push({ config: parsed.data, run: check.run, point, lossy: check.lossy });
  }
  if (found.length > 0 || issues.length > 0)
    throw new ConfigFileError(
      file,
      [...issues, ...merged(found, points.length)].sort((a, b) => a.line - b.line),
    );
  const name = cells[0].config.name ?? path.basename(file).replace(/\.ya?ml$/, '');
  const labels = cellLabels(
    axes,
    cells.map((c) => c.point.choice),
    cells.map((c) => c.point.params),
  );
  const swept = cells.map((c, i) => sweepCell(c.config, c.run, c.point, i, idWidth, c.lossy, labels[i]));
  const baselines = baselineCells(swept, (ref) => ctx.probe(ref).id);
  const all = [...baselines, ...swept].map((c, index) => ({ ...c, info: { ...c.info, index } }));
  return {
    file,
    name,
    description: cells[0].config.description,
    cells: all,
    measure: cells[0].config.measure.kind,
    warnings: merged(warnings, points.length).map(formatIssue),
    resolvedYaml: resolvedYaml(file, base, sweep, name, plugins),
    plugins,
  };
}

/** Stand-ins for required keys whose values failed the schema, so the other keys can still be checked. */
const STAND_INS: Readonly<Record<string, unknown>> = { seeds: [0] };

/**
 * The cross-key checks (models, workloads, verifier exactness) of a cell
 * whose schema check failed: run on the cell without its bad top-level keys
 * (defaults or stand-ins in their place); problems at those keys are
 * dropped, since they come from the stand-ins.
 */
function otherKeyProblems(cellRaw: unknown, problems: readonly PathProblem[], ctx: CheckContext): PathProblem[] {
  const bad = new Set(problems.map((p) => String(p.path[0])));
  const rest: Record<string, unknown> = { ...(cellRaw as Record<string, unknown>) };
  for (const key of bad) {
    delete rest[key];
    if (key in STAND_INS) rest[key] = STAND_INS[key];
  }
  const parsed = cellConfigSchema.safeParse(rest);
  if (!parsed.success) return [];
  return checkCell(parsed.data, ctx).errors.filter((p) => !bad.has(String(p.path[0])));
}

function locateIssue(p: PathProblem, axes: readonly SweepAxis[], point: SweepPoint, src: ConfigSource): ConfigIssue {
  const { docPath, note } = locate(p.path, axes, point, src);
  return src.issue(docPath, `${p.problem}${note}`, p.path);
}

/** One issue per (line, path, problem); those of some cells only (of several) name them. */
function merged(found: readonly Located[], cellCount: number): ConfigIssue[] {
  const byKey = new Map<string, { issue: ConfigIssue; cells: string[] }>();
  for (const f of found) {
    const key = `${f.issue.line}\u0000${f.issue.path}\u0000${f.issue.problem}`;
    const entry = byKey.get(key) ?? { issue: f.issue, cells: [] };
    if (!entry.cells.includes(f.cell)) entry.cells.push(f.cell);
    byKey.set(key, entry);
  }
  return [...byKey.values()]
    .map(({ issue, cells }) =>
      cellCount > 1 && cells.length < cellCount ? { ...issue, problem: `${issue.problem} [cell${cells.length > 1 ? 's' : ''} ${cells.join(', ')}]` } : issue,
    )
    .sort((a, b) => a.line - b.line);
}

/** The file with defaults filled in where its keys parse on their own, its plugins as absolute paths, and its sweep as written. */
function resolvedYaml(file: string, base: Record<string, unknown>, sweep: unknown, name: string, plugins: readonly string[]): string {
  const parsed = cellConfigSchema.safeParse(base);
  const resolved: Record<string, unknown> = { ...(plugins.length > 0 ? { plugins } : {}), ...(parsed.success ? stripUndefined(parsed.data) : base), name };
  if (sweep !== undefined && sweep !== null) resolved.sweep = sweep;
  const header = `# ${path.basename(file)} with every default filled in (written by specinfer run)\n`;
  return header + yamlText(resolved);
}

/** YAML text of plain data, lists of plain values in flow style ([1, 1, 3, 1]). */
function yamlText(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

function stripUndefined(v: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
}
