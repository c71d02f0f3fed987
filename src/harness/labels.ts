/**
 * Cell labels for tables, charts and logs. `label` is the full text of a
 * cell's sweep values ('policy.expansion=1,1,3,1 verifier.kind=mss');
 * `cellLabels` gives the swept cells of a grid short labels: one part per
 * swept key path that varies, the sweep value's `name` where it has one,
 * else 'key=value' with the key cut to its last meaningful segment
 * (verifier.kind -> verifier, temperature -> T, batchSize -> batch), the
 * value without the options that every value of its kind on that axis
 * shares (a component whose kind every value shares and of which one
 * component option is left is written as that option:
 * draft-model(policy=chain(depth=4)) -> chain(depth=4)), runs of 3 or more equal list items as 'x×n'
 * (1,1,3,1,1,1,1,1 -> 1,1,3,1×5) and at most MAX_VALUE characters. Shortening never merges cells: a column whose
 * short texts would collide keeps its full texts, and if labels still
 * collide every cell gets its full label.
 */
import type { KeyPath } from './config-source.js';

/** An axis as labels need it (a SweepAxis). */
export interface LabelAxis {
  readonly paths: readonly KeyPath[];
  /** For several paths, each value is a list of one value per path. */
  readonly values: readonly unknown[];
  /** The sweep value's name, or undefined (one per value). */
  readonly names: readonly (string | undefined)[];
}

/** Longest value text in a short label (longer ones are cut in the middle with '…'). */
export const MAX_VALUE = 56;

const KEY_WORDS: Readonly<Record<string, string>> = { temperature: 'T', batchSize: 'batch' };

/** 'policy.expansion=1,1,3,1 verifier.kind=mss' from a point's values. */
export function label(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(' ');
}

/** A value, in full: lists joined by ',', components as kind(option=value,...). */
export function valueText(v: unknown): string {
  return text(v, [v], false);
}

/** Short labels of the grid points given by `choices` (value index per axis); `params` of each point give the full labels. */
export function cellLabels(axes: readonly LabelAxis[], choices: readonly (readonly number[])[], params: readonly Readonly<Record<string, unknown>>[]): string[] {
  const columns = axes.flatMap((a, i) => a.paths.map((p, j) => ({ axis: i, path: j, key: p.map(String).join('.') })));
  const keys = shortKeys(columns.map((c) => c.key));
  const texts = columns.map((c) => columnTexts(axes[c.axis].values.map((v) => (axes[c.axis].paths.length > 1 ? (v as unknown[])[c.path] : v))));
  const shown = columns.map((_, k) => choices.length > 1 && new Set(texts[k]).size > 1);
  const labels = choices.map((choice) => {
    const parts = axes.flatMap((a, i) => {
      const name = a.names[choice[i]];
      if (name !== undefined) return [name];
      return columns.flatMap((c, k) => (c.axis === i && shown[k] ? [`${keys[k]}=${texts[k][choice[i]]}`] : []));
    });
    return parts.join(' ');
  });
  const full = params.map(label);
  return distinctWhere(labels, full) ? labels : full;
}

/** Whether `short` has no duplicates other than those `full` has too. */
function distinctWhere(short: readonly string[], full: readonly string[]): boolean {
  const seen = new Map<string, string>();
  return short.every((s, i) => {
    const before = seen.get(s);
    seen.set(s, full[i]);
    return before === undefined || before === full[i];
  });
}

/** Each key's last segment that is not a list index or 'kind' (or the whole key where two would collide). */
function shortKeys(keys: readonly string[]): string[] {
  const short = keys.map((k) => {
    const word =
      k
        .split('.')
        .filter((s) => s !== 'kind' && !/^\d+$/.test(s))
        .pop() ?? k;
    return KEY_WORDS[word] ?? word;
  });
  return short.map((s, i) => (short.indexOf(s) === short.lastIndexOf(s) ? s : keys[i]));
}

/** Short texts of one column's values: full texts where the short ones would collide. */
function columnTexts(values: readonly unknown[]): string[] {
  const short = values.map((v) => cut(text(v, values, true)));
  const full = values.map((v) => JSON.stringify(v));
  return distinctWhere(short, full) ? short : values.map(valueText);
}

/**
 * A text of at most MAX_VALUE characters: a component keeps its kind and
 * its last options whole ('draft-model(…policy=chain(depth=4))'), else the
 * middle is cut.
 */
function cut(s: string): string {
  if (s.length <= MAX_VALUE) return s;
  const open = s.indexOf('(') + 1;
  let depth = 0;
  for (let i = open; open > 0 && i < s.length; i++) {
    const c = s[i - 1];
    depth += c === '(' || c === '[' || c === '{' ? 1 : c === ')' || c === ']' || c === '}' ? -1 : 0;
    if (c === ',' && depth === 1 && open + 1 + s.length - i <= MAX_VALUE) return `${s.slice(0, open)}…${s.slice(i)}`;
  }
  const half = Math.floor((MAX_VALUE - 1) / 2);
  return `${s.slice(0, half)}…${s.slice(s.length - (MAX_VALUE - 1 - half))}`;
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function field(v: unknown, key: string | number): unknown {
  return v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined;
}

/**
 * A value's text; `peers` are the values at the same place in the cells of
 * its axis (itself included). Short: options equal in every peer of the
 * same kind (two or more) are left out and runs of equal scalars are
 * written 'x×n'.
 */
function text(v: unknown, peers: readonly unknown[], short: boolean): string {
  if (Array.isArray(v)) {
    if (v.every(isScalar)) return short ? runs(v) : v.map(String).join(',');
    return v
      .map((x, i) =>
        text(
          x,
          peers.map((p) => field(p, i)),
          short,
        ),
      )
      .join(v.some((x) => !isScalar(x)) ? '+' : ',');
  }
  if (isScalar(v)) return String(v);
  const { kind, ...rest } = v as { kind?: string } & Record<string, unknown>;
  const kin = peers.filter((p) => !isScalar(p) && !Array.isArray(p) && field(p, 'kind') === kind);
  const shared = (k: string, x: unknown) => kin.length >= 2 && kin.every((p) => JSON.stringify(field(p, k)) === JSON.stringify(x));
  const inner = Object.entries(rest)
    .filter(([k, x]) => !short || !shared(k, x))
    .map(([k, x]) => {
      const t = text(
        x,
        kin.map((p) => field(p, k)),
        short,
      );
      return `${k}=${Array.isArray(x) && x.every(isScalar) ? `[${t}]` : t}`;
    });
  if (kind === undefined) return `{${inner.join(',')}}`;
  const only = inner.length === 1 ? Object.keys(rest).find((k) => inner[0].startsWith(`${k}=`)) : undefined;
  if (short && only !== undefined && isComponent(rest[only]) && peers.every((p) => field(p, 'kind') === kind)) return inner[0].slice(only.length + 1);
  return inner.length > 0 ? `${String(kind)}(${inner.join(',')})` : String(kind);
}

/** A mapping with a `kind` (a speculator, policy, verifier, ...). */
function isComponent(v: unknown): boolean {
  return field(v, 'kind') !== undefined && !Array.isArray(v);
}

/** Scalars joined by ',', runs of 3 or more equal ones as 'x×n'. */
function runs(v: readonly unknown[]): string {
  const out: string[] = [];
  for (let i = 0; i < v.length;) {
    let j = i;
    while (j < v.length && v[j] === v[i]) j++;
    const n = j - i;
    out.push(...(n >= 3 ? [`${String(v[i])}×${n}`] : Array<string>(n).fill(String(v[i]))));
    i = j;
  }
  return out.join(',');
}
