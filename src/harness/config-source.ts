/**
 * A YAML config file with its line numbers: parsing (yaml's parseDocument +
 * LineCounter), the line of any key path, and the error type that lists
 * every problem of a file as `<file>:<line>: <key.path>: <problem>`.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from '../core/errors.js';

/** A path into a config: object keys and list indices. */
export type KeyPath = readonly (string | number)[];

/** One problem of a config file, located. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  /** The key path as text, e.g. `policy.expansion[2]` ('' for the whole file). */
  readonly path: string;
  readonly problem: string;
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}: ${i.path === '' ? '' : `${i.path}: `}${i.problem}`;
}

/** Every problem found in a config file (one per line of the message). */
export class ConfigFileError extends ConfigError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.length === 1 ? formatIssue(issues[0]) : `${issues.length} problems in ${file}:\n${issues.map(formatIssue).join('\n')}`);
  }
}

/** `policy.expansion[2]`; keys that are not plain names are quoted: `sweep["policy.expansion"][0]`. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A parsed config file: its plain value and where each key is. */
export class ConfigSource {
  private constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses YAML text; syntax errors (and duplicate keys) throw a ConfigFileError with their lines. */
  static parse(file: string, text: string): ConfigSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length > 0) {
      const issues = doc.errors.map((e) => ({ file, line: lines.linePos(errorOffset(text, e.pos[0])).line, path: '', problem: `YAML: ${firstLine(e.message)}` }));
      throw new ConfigFileError(file, issues);
    }
    return new ConfigSource(file, doc, lines);
  }

  static read(file: string): ConfigSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`${file}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return ConfigSource.parse(file, text);
  }

  /** The file's content as plain data; aliases that expand past 1000 nodes (an alias bomb) are a ConfigFileError. */
  value(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new ConfigFileError(this.file, [{ file: this.file, line: 1, path: '', problem: `YAML: ${(e as Error).message} (aliases expand too far)` }]);
    }
  }

  /** Whether the file itself has a node at `path`. */
  has(path: KeyPath): boolean {
    return this.walk(path).found === path.length;
  }

  /**
   * The line of `path`: of its key (an entry of a mapping) or of the item
   * (a list entry); when the file has no such node (e.g. a default), the line
   * of the deepest ancestor it has.
   */
  line(path: KeyPath): number {
    return this.walk(path).line;
  }

  issue(path: KeyPath, problem: string, shownPath: KeyPath = path): ConfigIssue {
    return { file: this.file, line: this.line(path), path: formatPath(shownPath), problem };
  }

  private walk(path: KeyPath): { found: number; line: number } {
    let node: unknown = this.doc.contents;
    let line = this.lineOf(node) ?? 1;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return { found: i, line };
        line = this.lineOf(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        line = this.lineOf(node) ?? line;
      } else {
        return { found: i, line };
      }
    }
    return { found: path.length, line };
  }

  private lineOf(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }
}

/**
 * Where a YAML error is: at `pos`, or, when only whitespace follows `pos` (yaml
 * reports an unclosed quote or bracket at the end of the input, a line past
 * the last one), at the last non-whitespace character before it.
 */
function errorOffset(text: string, pos: number): number {
  if (text.slice(pos).trim() !== '') return pos;
  return Math.max(0, text.slice(0, pos).trimEnd().length - 1);
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
