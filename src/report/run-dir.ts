/**
 * A results folder as the runner writes it and the report reads it:
 *   cells.json   a JSON array of CellInfo (src/harness/cell.ts), one per cell;
 *   steps.jsonl  one CellRecord per line (blank lines allowed), each decode
 *                call's records contiguous (see summary.ts forwardKeys);
 *   meta.json    optional: { config?, env?: { [name]: string }, title?, timed? };
 *   config.resolved.yaml optional: the config text, shown in the report;
 *   outputs.jsonl optional: one OutputRecord per line (absent in older runs).
 * Unknown keys are ignored; a missing or malformed file is a ReportError
 * naming the file, the line and the key.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { STOP_REASONS } from '../decode/records.js';
import type { CellInfo, CellRecord, OutputRecord } from '../harness/cell.js';
import { ReportError } from './errors.js';
import type { ReportMeta } from './html.js';

export interface RunDir {
  readonly dir: string;
  readonly cells: CellInfo[];
  readonly records: CellRecord[];
  readonly meta?: ReportMeta;
  /** Request outputs (empty when the folder has no outputs.jsonl). */
  readonly outputs: OutputRecord[];
}

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

const cellSchema = z.object({
  id: z.string().min(1),
  index: count,
  label: z.string(),
  baseline: z.boolean(),
  target: z.string(),
  params: z.record(z.string(), z.unknown()),
  speculator: z.string(),
  policy: z.string(),
  verifier: z.string(),
  batchSize: z.number().int().positive(),
  temperature: z.number().nonnegative(),
});

const recordSchema = z.object({
  cell: z.string(),
  workload: z.string(),
  prompt: z.string(),
  seed: z.number(),
  request: count,
  step: count,
  treeSize: count,
  treeDepth: count,
  nodesPerDepth: z.array(count),
  accepted: count,
  emitted: count,
  nextKind: z.enum(['bonus', 'recovered']),
  forward: count.optional(),
  proposeMs: ms,
  scoreMs: ms,
  verifyMs: ms,
  commitMs: ms,
  draftRows: count.optional(),
  draftReused: count.optional(),
  stop: z.enum(STOP_REASONS).optional(),
});

const outputSchema = z.object({
  cell: z.string(),
  workload: z.string(),
  prompt: z.string(),
  seed: z.number(),
  tokens: z.array(count),
  text: z.string(),
  stop: z.enum(STOP_REASONS),
});

const metaSchema = z.object({
  config: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  title: z.string().optional(),
  timed: z.boolean().optional(),
});

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ReportError(`${where}: not valid JSON (${(e as Error).message})`);
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = issue.path.length > 0 ? ` key '${issue.path.join('.')}'` : '';
  throw new ReportError(`${where}:${key} ${issue.message}`);
}

function readText(file: string): string {
  if (!existsSync(file)) throw new ReportError(`${file} not found; a results folder holds cells.json and steps.jsonl (written by \`specinfer run\`)`);
  return readFileSync(file, 'utf8');
}

/** cells.json: the cells, ids unique. */
function readCells(file: string): CellInfo[] {
  const cells = check(z.array(cellSchema), parseJson(readText(file), file), file);
  const seen = new Set<string>();
  for (const c of cells) {
    if (seen.has(c.id)) throw new ReportError(`${file}: cell id '${c.id}' appears twice; ids must be unique`);
    seen.add(c.id);
  }
  return cells;
}

/** steps.jsonl: one CellRecord per non-blank line. */
function readRecords(file: string): CellRecord[] {
  return readLines(file, recordSchema);
}

/** Checked objects of a JSONL file, one per non-blank line. */
function readLines<T>(file: string, schema: z.ZodType<T>): T[] {
  const out: T[] = [];
  readText(file)
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${file}:${i + 1}`;
      out.push(check(schema, parseJson(line, where), where));
    });
  return out;
}

/** meta.json and the config text (config.resolved.yaml) of a folder; undefined when it has neither. */
function readMeta(dir: string): ReportMeta | undefined {
  const file = path.join(dir, 'meta.json');
  const meta = existsSync(file) ? check(metaSchema, parseJson(readText(file), file), file) : undefined;
  const configFile = path.join(dir, 'config.resolved.yaml');
  if (!existsSync(configFile)) return meta;
  return { ...meta, configYaml: readFileSync(configFile, 'utf8') };
}

/** Loads a results folder (for re-rendering its report or for notebooks). */
export function readRunDir(dir: string): RunDir {
  if (!existsSync(dir)) throw new ReportError(`results folder ${dir} not found`);
  const cells = readCells(path.join(dir, 'cells.json'));
  const records = readRecords(path.join(dir, 'steps.jsonl'));
  const known = new Set(cells.map((c) => c.id));
  const stray = records.find((r) => !known.has(r.cell));
  if (stray) throw new ReportError(`${path.join(dir, 'steps.jsonl')}: a record names cell '${stray.cell}', which cells.json does not have`);
  const outputsFile = path.join(dir, 'outputs.jsonl');
  const outputs = existsSync(outputsFile) ? readLines(outputsFile, outputSchema) : [];
  return { dir, cells, records, meta: readMeta(dir), outputs };
}
