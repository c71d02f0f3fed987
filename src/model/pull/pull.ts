/**
 * `specinfer models pull`: the only code in the project that downloads, and
 * only when a user runs that command. A reference is a catalogue name
 * (pull-catalogue.ts) or a Hugging Face reference (pull-hf.ts). Files are
 * staged in `<models dir>/.partial/<folder>/` and the folder is renamed to
 * `<models dir>/<folder>` only when every file is complete and verified.
 */
import { existsSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DownloadError } from '../../core/errors.js';
import { CATALOGUE, entrySize, type Catalogue, type CatalogueEntry } from './pull-catalogue.js';
import { hfBaseFiles, hfShardFiles, listHfRepo, parseHfRef } from './pull-hf.js';
import { defaultProgress, formatBytes, type Progress } from './pull-progress.js';
import { makeDir, transferFile, type FileSpec, type TransferOptions } from './pull-transfer.js';

export type { Catalogue } from './pull-catalogue.js';
export type { Progress } from './pull-progress.js';

const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
/** Staging folder under the models dir (partial and not yet promoted files). */
const PARTIAL_DIR = '.partial';

export interface PullOptions {
  /** Hugging Face endpoint; default $HF_ENDPOINT, else https://huggingface.co. */
  readonly endpoint?: string;
  /** Bearer token for Hugging Face; default $HF_TOKEN. */
  readonly token?: string;
  /** Known names; default CATALOGUE. */
  readonly catalogue?: Catalogue;
  /** Status lines (default: none). */
  readonly log?: (line: string) => void;
  /** Transfer progress (default: a bar on a TTY stderr, else one `log` line per file). */
  readonly progress?: Progress;
  /** Abort a request when no byte arrives for this long (ms); default 60000. */
  readonly idleTimeoutMs?: number;
}

export interface PullResult {
  /** The model folder, loadable by its name. */
  readonly dir: string;
  /** false when the folder was already there and complete (nothing was fetched). */
  readonly fetched: boolean;
}

/** What to fetch for one reference. */
interface Plan {
  readonly folder: string;
  readonly base: readonly FileSpec[];
  /** Files known only once the base files are in `dir` (the shards of an index). */
  readonly extra: (dir: string) => FileSpec[];
}

interface Resolved extends TransferOptions {
  readonly endpoint: string;
  readonly catalogue: Catalogue;
}

/** $HF_ENDPOINT without a trailing slash, else https://huggingface.co. */
function hfEndpoint(): string {
  const env = process.env.HF_ENDPOINT;
  return (env !== undefined && env !== '' ? env : DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
}

/** Downloads `ref` into `<modelsDir>/<folder>` (see the module comment); DownloadError/ConfigError on failure. */
export async function pullModel(ref: string, modelsDir: string, options: PullOptions = {}): Promise<PullResult> {
  const o = resolveOptions(options);
  const plan = await planFor(ref, o);
  const dir = path.join(modelsDir, plan.folder);
  if (existsSync(dir)) {
    checkComplete(dir, plan);
    return { dir, fetched: false };
  }
  const partialRoot = path.join(modelsDir, PARTIAL_DIR);
  const stage = path.join(partialRoot, plan.folder);
  try {
    await fetchAll(plan, stage, o);
    renameSync(stage, dir);
  } catch (e) {
    cleanUp(stage, e);
    throw e;
  } finally {
    removeIfEmpty(partialRoot);
  }
  return { dir, fetched: true };
}

/** The catalogue as aligned text lines: name, total size, description. */
export function catalogueLines(catalogue: Catalogue = CATALOGUE): string[] {
  const names = Object.keys(catalogue);
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${formatBytes(entrySize(catalogue[n])).padStart(8)}  ${catalogue[n].description}`);
}

function resolveOptions(options: PullOptions): Resolved {
  const log = options.log ?? (() => undefined);
  const token = options.token ?? process.env.HF_TOKEN;
  return {
    endpoint: (options.endpoint ?? hfEndpoint()).replace(/\/+$/, ''),
    catalogue: options.catalogue ?? CATALOGUE,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    log,
    progress: options.progress ?? defaultProgress(log),
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
  };
}

async function planFor(ref: string, o: Resolved): Promise<Plan> {
  if (ref.startsWith('hf:')) {
    const listing = await listHfRepo(parseHfRef(ref), o.endpoint, o.headers, o.idleTimeoutMs);
    return { folder: listing.ref.folder, base: hfBaseFiles(listing, o.endpoint), extra: (dir) => hfShardFiles(listing, o.endpoint, dir) };
  }
  if (!Object.hasOwn(o.catalogue, ref)) {
    const known = Object.keys(o.catalogue).join(', ');
    throw new ConfigError(`no download is known for "${ref}": use one of ${known} (see specinfer models pull --list), or hf:ORG/NAME for a Hugging Face repository`);
  }
  return { folder: ref, base: catalogueFiles(o.catalogue[ref], o.endpoint), extra: () => [] };
}

function catalogueFiles(entry: CatalogueEntry, endpoint: string): FileSpec[] {
  return entry.files.map((f) => ({
    file: f.file,
    url: /^https?:\/\//.test(f.source) ? f.source : `${endpoint}/${f.source}`,
    size: f.size,
    sha256: f.sha256,
    pin: 'pinned sha256',
  }));
}

async function fetchAll(plan: Plan, stage: string, o: Resolved): Promise<void> {
  makeDir(stage);
  for (const f of plan.base) await transferFile(f, path.join(stage, f.file), o);
  for (const f of plan.extra(stage)) await transferFile(f, path.join(stage, f.file), o);
}

/** An existing folder must hold every planned file at its expected size. */
function checkComplete(dir: string, plan: Plan): void {
  const missing = (files: readonly FileSpec[]): string | undefined => files.map((f) => problemOf(dir, f)).find((p) => p !== undefined);
  const problem = missing(plan.base) ?? missing(plan.extra(dir));
  if (problem !== undefined) {
    throw new DownloadError(`${dir} already exists but is incomplete (${problem}); move it away or delete it, then pull again`);
  }
}

function problemOf(dir: string, f: FileSpec): string | undefined {
  const file = path.join(dir, f.file);
  if (!existsSync(file)) return `no ${f.file}`;
  const size = statSync(file).size;
  return f.size === undefined || size === f.size ? undefined : `${f.file} has ${size} bytes, expected ${f.size}`;
}

/** Keeps the staging folder only for a resumable failure that left files in it. */
function cleanUp(stage: string, e: unknown): void {
  const keep = e instanceof DownloadError && e.keepsPartial && existsSync(stage) && readdirSync(stage).length > 0;
  if (!keep) rmSync(stage, { recursive: true, force: true });
}

function removeIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}
