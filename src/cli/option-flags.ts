/**
 * `specinfer generate`'s speculator and tree policy flags, generated from
 * the definitions (src/harness/option-flags.ts names them): registering them
 * with yargs, checking numbers, and reading the given ones into configs,
 * validated by the kinds' schemas with problems named by flag.
 */
import type { Argv, Options } from 'yargs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { zodProblems } from '../harness/issues.js';
import { defaultOf, innerSchema, optionFlags, type FlagRoot, type OptionFlag } from '../harness/option-flags.js';
import type { NumberKind } from './numbers.js';
import { typedValue } from './numbers.js';

/** Command-line arguments by flag name as typed (yargs keeps the kebab-case keys). */
export type FlagArgs = Readonly<Record<string, unknown>>;

/** A flag that reads a file (or other text) into an option whose value is not the text itself. */
export interface ReaderFlag {
  readonly flag: string;
  readonly root: FlagRoot;
  readonly kind: string;
  readonly option: string;
  readonly describe: string;
  read(text: string, args: FlagArgs): unknown;
}

/** Registers every generated flag (no yargs defaults: an absent flag leaves the definition's default) and the reader flags, grouped by root. */
export function addOptionFlags(y: Argv, readers: readonly ReaderFlag[]): Argv {
  let out = y;
  for (const f of optionFlags()) out = out.option(f.flag, yargsOption(f));
  for (const r of readers) out = out.option(r.flag, { type: 'string', describe: r.describe });
  const names = (root: FlagRoot) => [
    ...optionFlags()
      .filter((f) => f.root === root)
      .map((f) => f.flag),
    ...readers.filter((r) => r.root === root).map((r) => r.flag),
  ];
  return out.group(names('speculator'), 'Speculator options (per kind; any other with --set, all in docs/options.md):').group(names('policy'), 'Tree policy options:');
}

function yargsOption(f: OptionFlag): Options {
  switch (f.value) {
    case 'number':
      return { type: 'number', describe: f.description };
    case 'switch':
      return { type: 'boolean', describe: f.description };
    case 'choice':
      return { choices: f.choices, describe: f.description };
    case 'texts':
      return { type: 'string', array: true, describe: `${f.description}; repeat it for several` };
    case 'numbers':
      return { type: 'string', describe: `${f.description}; comma-separated` };
    case 'text':
      return { type: 'string', describe: f.description };
  }
}

/** The number check of each generated number flag whose schema's bounds match one (others are checked by the schema). */
export function flagNumberKinds(): Record<string, NumberKind> {
  const out: Record<string, NumberKind> = {};
  for (const f of optionFlags()) {
    if (f.value !== 'number') continue;
    const kind = numberKind(innerSchema(f.targets[0].schema));
    if (kind !== undefined) out[f.flag] = kind;
  }
  return out;
}

function numberKind(s: z.ZodType): NumberKind | undefined {
  if (!(s instanceof z.ZodNumber)) return undefined;
  const min = s.minValue ?? -Infinity;
  const max = s.maxValue ?? Infinity;
  const unbounded = max >= Number.MAX_SAFE_INTEGER;
  if (s.isInt && unbounded && min === 1) return 'positive-int';
  if (s.isInt && unbounded && min === 0) return 'count';
  if (!s.isInt && min === 0 && max === 1) return 'fraction';
  if (!s.isInt && min === 0 && unbounded) return 'non-negative';
  return undefined;
}

/** Whether a flag was given. */
const given = (args: FlagArgs, flag: string): boolean => args[flag] !== undefined;

/** The option values of `kind` given by flags (generated and reader flags), by option name. */
export function flagFields(root: FlagRoot, kind: string, args: FlagArgs, readers: readonly ReaderFlag[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const f of optionFlags()) {
    const target = f.root === root ? f.targets.find((t) => t.kind === kind) : undefined;
    if (target !== undefined && given(args, f.flag)) fields[target.option] = flagValue(f, args[f.flag]);
  }
  for (const r of readers) if (r.root === root && r.kind === kind && given(args, r.flag)) fields[r.option] = r.read(String(args[r.flag]), args);
  return fields;
}

/** The kinds of `root` whose own flags (of one kind only) were given. */
export function kindsOfGivenFlags(root: FlagRoot, args: FlagArgs, readers: readonly ReaderFlag[]): { kind: string; flag: string }[] {
  const own = optionFlags().filter((f) => f.root === root && f.targets.length === 1 && given(args, f.flag));
  const read = readers.filter((r) => r.root === root && given(args, r.flag));
  return [...own.map((f) => ({ kind: f.targets[0].kind, flag: f.flag })), ...read.map((r) => ({ kind: r.kind, flag: r.flag }))];
}

/** Whether any flag of `root` shared by several kinds was given. */
export function sharedFlagGiven(root: FlagRoot, args: FlagArgs): boolean {
  return optionFlags().some((f) => f.root === root && f.targets.length > 1 && given(args, f.flag));
}

/**
 * Throws a ConfigError for a given flag of `root` that sets no option of the
 * chosen `kinds` (it would be ignored), naming the kinds it belongs to.
 */
export function checkFlagsApply(root: FlagRoot, kinds: readonly string[], args: FlagArgs, readers: readonly ReaderFlag[], choose: string): void {
  const flags = [
    ...optionFlags().map((f) => ({ flag: f.flag, root: f.root, kinds: f.targets.map((t) => t.kind) })),
    ...readers.map((r) => ({ flag: r.flag, root: r.root, kinds: [r.kind] })),
  ];
  for (const f of flags) {
    if (f.root !== root || !given(args, f.flag) || f.kinds.some((k) => kinds.includes(k))) continue;
    const noun = root === 'policy' ? 'tree policy' : 'speculator';
    const chosen = kinds.length === 0 ? `no ${noun} is chosen` : `the ${noun} is ${kinds.join(' + ')}`;
    throw new ConfigError(`--${f.flag} sets an option of ${f.kinds.join(', ')}, but ${chosen}; ${choose}`);
  }
}

function flagValue(f: OptionFlag, raw: unknown): unknown {
  if (f.value !== 'numbers') return raw;
  const text = String(raw);
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => Number.isNaN(v))) {
    const example = defaultOf(f.targets[0].schema);
    throw new ConfigError(`--${f.flag} must be a list like ${Array.isArray(example) ? example.join(',') : '1,2,3'}, got '${text}'`);
  }
  return values;
}

/**
 * `cfg` parsed by its kind's schema; problems name the flag of the option:
 * `--FLAG: problem` when it was given, `--ROOT KIND needs --FLAG (problem)`
 * when its default does not do.
 */
export function parseByFlags<T>(root: FlagRoot, schema: z.ZodType<T>, cfg: { readonly kind: string }, args: FlagArgs, argv: readonly string[] = process.argv.slice(2)): T {
  const r = schema.safeParse(cfg);
  if (r.success) return r.data;
  const problems = zodProblems(r.error.issues, schema, cfg).map((p) => {
    const option = String(p.path[0] ?? '');
    const flag = optionFlags().find((f) => f.root === root && f.targets.some((t) => t.kind === cfg.kind && t.option === option))?.flag;
    if (flag === undefined) return `--${root} ${cfg.kind}: ${option === '' ? '' : `${option}: `}${p.problem}`;
    const typed = given(args, flag) || typedValue(argv, flag) !== undefined;
    return typed ? `--${flag}: ${p.problem}` : `--${root} ${cfg.kind} needs --${flag} (${p.problem})`;
  });
  throw new ConfigError(problems.join('\n'));
}
