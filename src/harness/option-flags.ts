/**
 * Command-line flags of speculator and tree policy options, derived from the
 * definitions' option schemas: `--<kind>-<option in kebab case>` for each
 * option a flag can carry (a number, text, a choice, a switch, a list of
 * numbers or of texts); a policy option several policy kinds share is one
 * flag `--<option>` (it applies to the policy chosen). FLAG_NAMES keeps the
 * names docs and scripts used before the flags were generated. Options of
 * other shapes (objects, a hybrid's parts) are set with `--set`.
 * `specinfer generate` builds its flags from this; docs/options.md lists them.
 */
import { z } from 'zod';
import { SPECULATOR_DEFINITIONS } from '../speculators/registry.js';
import { POLICY_DEFINITIONS } from '../tree/policies.js';

export type FlagRoot = 'speculator' | 'policy';

/** How a flag's text becomes the option's value. */
type FlagValue = 'number' | 'text' | 'choice' | 'switch' | 'numbers' | 'texts';

/** One kind's option a flag sets. */
interface FlagTarget {
  readonly kind: string;
  readonly option: string;
  /** The option's schema as defined (default and description included). */
  readonly schema: z.ZodType;
}

export interface OptionFlag {
  /** Without the dashes, e.g. 'ngram-max-n'. */
  readonly flag: string;
  readonly root: FlagRoot;
  readonly value: FlagValue;
  /** The values a 'choice' flag takes. */
  readonly choices?: readonly string[];
  /** The options it sets: one, or one per kind for a shared flag. */
  readonly targets: readonly FlagTarget[];
  /** For --help: the kinds, the option's description and its default. */
  readonly description: string;
}

/** Flags whose names predate the rule (`root.kind.option` -> flag); several options may share one. */
const FLAG_NAMES: Readonly<Record<string, string>> = {
  'speculator.draft-model.models': 'draft',
  'speculator.gsd.models': 'draft',
  'speculator.draft-model.weights': 'draft-weights',
  'speculator.gsd.weights': 'draft-weights',
  'speculator.layer-skip.layers': 'draft-layers',
  'speculator.ngram.maxBranches': 'ngram-branches',
  'speculator.suffix.maxSpecFactor': 'suffix-spec-factor',
  'speculator.suffix.minTokenProb': 'suffix-min-prob',
  'speculator.retrieval.maxSpecFactor': 'retrieval-spec-factor',
  'speculator.retrieval.minTokenProb': 'retrieval-min-prob',
  'speculator.hybrid.mode': 'hybrid',
  'policy.static.expansion': 'expansion',
  'policy.p-split.pSplit': 'p-split',
};

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `schema` without its default / optional wrappers. */
export function innerSchema(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
  return s;
}

/** How a flag carries values of `schema`, or undefined when it cannot (objects, unions, lists of objects). */
function flagValue(schema: z.ZodType): { value: FlagValue; choices?: readonly string[] } | undefined {
  const s = innerSchema(schema);
  if (s instanceof z.ZodNumber) return { value: 'number' };
  if (s instanceof z.ZodString) return { value: 'text' };
  if (s instanceof z.ZodBoolean) return { value: 'switch' };
  if (s instanceof z.ZodEnum) return { value: 'choice', choices: s.options.map(String) };
  if (s instanceof z.ZodArray) {
    const element = innerSchema(s.element as z.ZodType);
    if (element instanceof z.ZodNumber) return { value: 'numbers' };
    if (element instanceof z.ZodString) return { value: 'texts' };
  }
  return undefined;
}

/** The default of an option schema, or undefined. */
export function defaultOf(schema: z.ZodType): unknown {
  const r = z.object({ v: schema }).safeParse({});
  return r.success ? r.data.v : undefined;
}

interface Candidate extends FlagTarget {
  readonly root: FlagRoot;
}

/** Every option of every definition that a flag can carry. */
function candidates(): Candidate[] {
  const of = (root: FlagRoot, defs: readonly { readonly kind: string; readonly options: z.ZodObject }[]) =>
    defs.flatMap((d) => Object.entries(d.options.shape as Record<string, z.ZodType>).map(([option, schema]) => ({ root, kind: d.kind, option, schema })));
  return [...of('speculator', SPECULATOR_DEFINITIONS), ...of('policy', POLICY_DEFINITIONS)].filter((c) => flagValue(c.schema) !== undefined);
}

/** The flag name of one option (FLAG_NAMES, else the rule; policy options several kinds share keep their own name). */
function flagName(c: Candidate, shared: ReadonlySet<string>): string {
  const named = FLAG_NAMES[`${c.root}.${c.kind}.${c.option}`];
  if (named !== undefined) return named;
  return c.root === 'policy' && shared.has(c.option) ? kebab(c.option) : `${c.kind}-${kebab(c.option)}`;
}

/** "kinds: description (default ...)"; a shared option whose kinds describe it differently is named instead. */
function describe(targets: readonly FlagTarget[]): string {
  const texts = new Set(targets.map((t) => (t.schema.description ?? '').replace(/\.$/, '')));
  const text = texts.size === 1 ? [...texts][0] : `their option \`${targets[0].option}\` (docs/options.md)`;
  const defaults = targets.map((t) => defaultOf(t.schema));
  const shown = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
  const same = defaults.every((v) => JSON.stringify(v) === JSON.stringify(defaults[0]));
  const dflt = defaults.every((v) => v === undefined || (Array.isArray(v) && v.length === 0))
    ? ''
    : same
      ? ` (default ${shown(defaults[0])})`
      : ` (default ${targets.map((t, i) => `${t.kind} ${shown(defaults[i])}`).join(', ')})`;
  return `${targets.map((t) => t.kind).join(', ')}: ${text}${dflt}`;
}

/** Every generated flag, in definition order (speculators first). */
export function optionFlags(): OptionFlag[] {
  const all = candidates();
  const policyCount = new Map<string, number>();
  for (const c of all) if (c.root === 'policy') policyCount.set(c.option, (policyCount.get(c.option) ?? 0) + 1);
  const shared = new Set([...policyCount].filter(([, n]) => n > 1).map(([o]) => o));
  const byFlag = new Map<string, Candidate[]>();
  for (const c of all) {
    const name = flagName(c, shared);
    byFlag.set(name, [...(byFlag.get(name) ?? []), c]);
  }
  return [...byFlag].map(([flag, cs]) => {
    const targets = cs.map(({ kind, option, schema }) => ({ kind, option, schema }));
    return { flag, root: cs[0].root, ...(flagValue(cs[0].schema) as { value: FlagValue }), targets, description: describe(targets) };
  });
}

/** Flags that read a file into an option whose value is not the text itself (`root.kind.option` -> flag; the command reads them). */
export const READER_FLAGS: Readonly<Record<string, string>> = {
  'policy.sequoia.hardware': 'sequoia-latency',
};

/** The flag of `root`'s option `option` of `kind` (generated or a reader), or undefined when it has none. */
export function flagOf(root: FlagRoot, kind: string, option: string): string | undefined {
  const generated = optionFlags().find((f) => f.root === root && f.targets.some((t) => t.kind === kind && t.option === option))?.flag;
  return generated ?? READER_FLAGS[`${root}.${kind}.${option}`];
}
