/**
 * `--set ROOT.PATH=VALUE` (repeatable): any option of the run's speculator
 * or tree policy, without a flag of its own. VALUE is read as YAML (4, 0.5,
 * true, [1, 2], text); the result is validated by the same zod schemas as
 * config files, with problems as `--set speculator.maxDepth: problem`.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import type { RunSpec } from '../harness/components.js';
import { formatPath, type KeyPath } from '../harness/config-source.js';
import { zodProblems } from '../harness/issues.js';
import { resolvePolicy, speculatorSchema } from '../speculators/registry.js';
import { policySchema } from '../tree/policies.js';

const ROOTS = ['speculator', 'policy'] as const;
type Root = (typeof ROOTS)[number];

interface Assignment {
  readonly root: Root;
  readonly path: KeyPath;
  readonly value: unknown;
}

/** `spec` with every assignment applied, its speculator and policy validated. */
export function applySets(spec: RunSpec, sets: readonly string[]): RunSpec {
  const assignments = sets.map(parseAssignment);
  const of = (root: Root) => assignments.filter((a) => a.root === root);
  const speculator = of('speculator').length === 0 ? spec.speculator : assign('speculator', spec.speculator, of('speculator'), speculatorSchema);
  const policies = of('policy');
  if (policies.length === 0) return { ...spec, speculator };
  const base = spec.policy ?? resolvePolicy(speculator, undefined);
  return { ...spec, speculator, policy: assign('policy', base, policies, policySchema) };
}

function parseAssignment(text: string): Assignment {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set ${text}: expected KEY=VALUE, e.g. speculator.maxDepth=4`);
  const [root, ...rest] = text.slice(0, eq).trim().split('.');
  if (!(ROOTS as readonly string[]).includes(root)) throw new ConfigError(`--set ${text.slice(0, eq)}: unknown key '${root}'; expected ${ROOTS.join(' or ')}`);
  if (rest.length === 0 || rest.some((s) => s === '')) throw new ConfigError(`--set ${text.slice(0, eq)}: name an option, e.g. ${root}.kind`);
  return { root: root as Root, path: rest.map((s) => (/^\d+$/.test(s) ? Number(s) : s)), value: yamlValue(text.slice(eq + 1)) };
}

/** A command-line value as YAML reads it; text that is not valid YAML stays text. */
function yamlValue(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch {
    return text;
  }
}

const isKind = (a: Assignment): boolean => a.path.length === 1 && a.path[0] === 'kind';

/**
 * `base` (a plain config) with the assignments applied, parsed by `schema`.
 * A `kind` is applied first and starts from that kind's defaults.
 */
function assign<T>(root: Root, base: T, assignments: readonly Assignment[], schema: z.ZodType<T>): T {
  let data: unknown = structuredClone(base);
  for (const a of [...assignments.filter(isKind), ...assignments.filter((x) => !isKind(x))]) data = isKind(a) ? { kind: a.value } : setAt(data, a.path, a.value);
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const problems = zodProblems(r.error.issues, schema, data).map((p) => `--set ${formatPath([root, ...p.path])}: ${p.problem}`);
  throw new ConfigError(problems.join('\n'));
}

/** A copy of `data` with `value` at `path` (missing mappings and lists are made). */
function setAt(data: unknown, path: KeyPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = Array.isArray(data) ? [...(data as unknown[])] : typeof data === 'object' && data !== null ? { ...data } : typeof head === 'number' ? [] : {};
  const container = copy as Record<string | number, unknown>;
  container[head] = setAt(container[head], rest, value);
  return container;
}
