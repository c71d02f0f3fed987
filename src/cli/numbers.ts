/**
 * Checks of numeric command-line options: yargs turns `--max-tokens abc`
 * into NaN; a check built here rejects it as a usage error (exit 2) naming
 * the flag and the value as typed.
 */
import { UsageError } from '../core/errors.js';

/** What a numeric option accepts. */
export type NumberKind = 'positive-int' | 'count' | 'non-negative' | 'fraction' | 'mass' | 'positive';

const RULES: Readonly<Record<NumberKind, { readonly ok: (v: number) => boolean; readonly text: string }>> = {
  'positive-int': { ok: (v) => Number.isInteger(v) && v >= 1, text: 'a positive integer' },
  count: { ok: (v) => Number.isInteger(v) && v >= 0, text: 'an integer >= 0' },
  'non-negative': { ok: (v) => Number.isFinite(v) && v >= 0, text: 'a number >= 0' },
  fraction: { ok: (v) => Number.isFinite(v) && v >= 0 && v <= 1, text: 'a number in 0..1' },
  mass: { ok: (v) => Number.isFinite(v) && v > 0 && v <= 1, text: 'a number > 0 and <= 1' },
  positive: { ok: (v) => Number.isFinite(v) && v > 0, text: 'a number > 0' },
};

/** The value of `--flag` as typed in `argv` (`--flag V` or `--flag=V`; the last one wins). */
export function typedValue(argv: readonly string[], flag: string): string | undefined {
  let found: string | undefined;
  argv.forEach((a, i) => {
    if (a === `--${flag}` && i + 1 < argv.length) found = argv[i + 1];
    else if (a.startsWith(`--${flag}=`)) found = a.slice(flag.length + 3);
  });
  return found;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A yargs check: true when every given option of `kinds` (flag -> kind) is
 * valid; else throws a UsageError naming the first bad one.
 */
export function numberCheck(kinds: Readonly<Record<string, NumberKind>>, argv: readonly string[] = process.argv.slice(2)) {
  return (args: Record<string, unknown>): true => {
    for (const [flag, kind] of Object.entries(kinds)) {
      const v = args[camel(flag)] as number | undefined;
      if (v === undefined || RULES[kind].ok(v)) continue;
      throw new UsageError(`--${flag} must be ${RULES[kind].text}, got '${typedValue(argv, flag) ?? String(v)}'`);
    }
    return true;
  };
}
