/**
 * zod issues as config problems a person can act on: each names its key
 * path and says what is wrong; unknown keys and kinds get a "did you mean"
 * from the keys (or values) allowed at that place.
 */
import type { z } from 'zod';
import type { KeyPath } from './config-source.js';

export interface PathProblem {
  readonly path: KeyPath;
  readonly problem: string;
}

type Issue = z.core.$ZodIssue;

/** Problems of a failed parse of `data` with `schema`, in issue order. */
export function zodProblems(issues: readonly Issue[], schema: z.ZodType, data: unknown): PathProblem[] {
  return flatten(issues).flatMap((i) => describeIssue(i, schema, data));
}

/** Issues with unions resolved to the branch the data was meant for. */
function flatten(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((i) => {
    if (i.code !== 'invalid_union' || i.errors.length === 0) return [i];
    const branch = i.errors.find((errs) => !errs.some(isRootTypeMismatch));
    return branch ? flatten(branch.map((e) => ({ ...e, path: [...i.path, ...e.path] }))) : [i];
  });
}

function isRootTypeMismatch(e: Issue): boolean {
  return e.code === 'invalid_type' && e.path.length === 0;
}

function describeIssue(i: Issue, schema: z.ZodType, data: unknown): PathProblem[] {
  const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const value = valueAt(data, path);
  switch (i.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, data, path);
      return i.keys.map((k) => ({ path: [...path, k], problem: `unknown key '${k}'${suggestion(k, allowed)}` }));
    }
    case 'invalid_union':
      return [{ path, problem: unionProblem(i, value) }];
    case 'invalid_type':
      return [{ path, problem: value === undefined ? `missing (required${expectedText(i.expected, 'a ')})` : `expected ${expectedText(i.expected)}, got ${describe(value)}` }];
    case 'invalid_value': {
      const values = i.values.map((v) => String(v));
      return [{ path, problem: `${describe(value)} is not one of ${values.join(', ')}${suggestion(String(value), values)}` }];
    }
    case 'too_small':
      return [{ path, problem: boundProblem('at least', i.minimum, i.inclusive ?? true, i.origin, value) }];
    case 'too_big':
      return [{ path, problem: boundProblem('at most', i.maximum, i.inclusive ?? true, i.origin, value) }];
    default:
      return [{ path, problem: i.message }];
  }
}

function unionProblem(i: z.core.$ZodIssueInvalidUnion, value: unknown): string {
  const disc = (i as { discriminator?: string }).discriminator;
  const options = ((i as { options?: unknown[] }).options ?? []).map(String);
  if (disc !== undefined) {
    if (value === undefined) return `missing (required: one of ${options.join(', ')})`;
    return `unknown ${disc} ${describe(value)}; expected one of ${options.join(', ')}${suggestion(typeof value === 'string' ? value : JSON.stringify(value), options)}`;
  }
  const expected = i.errors.flatMap((errs) => errs.filter(isRootTypeMismatch).map((e) => expectedText((e as z.core.$ZodIssueInvalidType).expected)));
  return expected.length > 0 ? `expected ${[...new Set(expected)].join(' or ')}, got ${describe(value)}` : i.message;
}

function boundProblem(word: string, bound: number | bigint, inclusive: boolean, origin: string, value: unknown): string {
  if (origin === 'array' || origin === 'set') return `needs ${word} ${bound} item${Number(bound) === 1 ? '' : 's'}, got ${Array.isArray(value) ? value.length : describe(value)}`;
  if (origin === 'string') return Number(bound) === 1 && word === 'at least' ? 'must not be empty' : `must have ${word} ${bound} characters`;
  const op = word === 'at least' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return `must be ${op} ${bound}, got ${describe(value)}`;
}

function expectedText(expected: string, article = ''): string {
  const names: Record<string, string> = {
    int: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping',
    record: 'a mapping',
  };
  const name = names[expected] ?? expected;
  return article === '' ? name : `: ${name}`;
}

/** A value as it would read in the file. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `a list [${v.map((x) => (typeof x === 'object' && x !== null ? '...' : String(x))).join(', ')}]`;
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : typeof v;
}

/** The value at `path` in plain data (undefined when absent). */
function valueAt(data: unknown, path: KeyPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** ' (did you mean 'x'?)' for the closest allowed word, or a list of the allowed words when none is close. */
export function suggestion(word: string, allowed: readonly string[]): string {
  const best = closest(word, allowed);
  if (best !== undefined) return ` (did you mean '${best}'?)`;
  return allowed.length > 0 && allowed.length <= 12 ? ` (allowed: ${allowed.join(', ')})` : '';
}

/** The allowed word closest to `word` when it is close enough to be a typo of it (case, or a few edits). */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  const scored = allowed.map((a) => ({ a, d: a.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, a) }));
  scored.sort((x, y) => x.d - y.d);
  const best = scored[0];
  return best !== undefined && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.a : undefined;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Keys the schema allows for the object at `path` of `data` (unions resolved by the data). */
function allowedKeys(schema: z.ZodType, data: unknown, path: KeyPath): string[] {
  let s: z.ZodType | undefined = schema;
  let v = data;
  for (const seg of path) {
    s = s === undefined ? undefined : child(resolve(s, v), seg);
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  }
  const obj = s === undefined ? undefined : resolve(s, v);
  return obj !== undefined && defOf(obj).type === 'object' ? Object.keys(defOf(obj).shape as object) : [];
}

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
  readonly getter?: () => z.ZodType;
}

function defOf(s: z.ZodType): Def {
  return s.def;
}

/** Unwraps optional/default/lazy wrappers and picks the union member `value` was meant for. */
function resolve(s: z.ZodType, value: unknown): z.ZodType {
  let d = defOf(s);
  while (d.innerType !== undefined || d.getter !== undefined) {
    s = d.innerType ?? (d.getter as () => z.ZodType)();
    d = defOf(s);
  }
  if (d.type !== 'union' || d.options === undefined) return s;
  const opts = d.options;
  if (Array.isArray(value)) return resolve(opts.find((o) => defOf(resolve(o, undefined)).type === 'array') ?? opts[0], value);
  if (d.discriminator !== undefined && value !== null && typeof value === 'object') {
    const kind = (value as Record<string, unknown>)[d.discriminator];
    const match = opts.find((o) => defOf(defOf(o).shape?.[d.discriminator as string] ?? o).values?.includes(kind));
    if (match) return match;
  }
  const object = opts.find((o) => ['object', 'union'].includes(defOf(resolve(o, undefined)).type));
  return object ? resolve(object, value) : opts[0];
}

function child(s: z.ZodType, seg: string | number): z.ZodType | undefined {
  const d = defOf(s);
  if (d.type === 'object') return d.shape?.[String(seg)];
  if (d.type === 'array') return d.element;
  if (d.type === 'record') return d.valueType;
  return undefined;
}
