/**
 * One file over HTTP(S): streamed into `DEST.part`, resumed with a Range
 * request when a `.part` is already there, checked (size, sha256), then
 * renamed to DEST. Every failure is a DownloadError whose message says what
 * to do; only an interrupted transfer keeps its `.part`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DownloadError } from '../../core/errors.js';
import { formatBytes, type Progress } from './pull-progress.js';

/** A file to fetch and what it must look like. */
export interface FileSpec {
  /** Path inside the model folder (may contain `/` for shards in subfolders). */
  readonly file: string;
  readonly url: string;
  /** Expected size in bytes, when known. */
  readonly size?: number;
  /** Expected sha256 (lower-case hex), when known. */
  readonly sha256?: string;
  /** The sha256 named by where it comes from, for messages (e.g. "pinned sha256"). */
  readonly pin?: string;
}

export interface TransferOptions {
  /** Extra request headers (e.g. Authorization). */
  readonly headers: Readonly<Record<string, string>>;
  readonly progress: Progress;
  readonly log: (line: string) => void;
  /** Abort when no byte arrives for this long (ms). */
  readonly idleTimeoutMs: number;
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Fetches `spec` into `dest` (see the module comment). */
export async function transferFile(spec: FileSpec, dest: string, opts: TransferOptions): Promise<void> {
  const part = `${dest}.part`;
  makeDir(path.dirname(part));
  const offset = usableOffset(part, spec.size);
  if (spec.size === undefined || offset < spec.size) await fetchInto(spec, part, offset, opts);
  checkSize(spec, part);
  await checkSha256(spec, part);
  renameSync(part, dest);
}

/** `fetch` with an idle timeout; network failures become DownloadError (kept partials). */
export async function request(url: string, headers: Readonly<Record<string, string>>, idleTimeoutMs: number): Promise<{ res: Response; idle: IdleTimer }> {
  const idle = idleTimer(idleTimeoutMs);
  try {
    return { res: await fetch(url, { headers, signal: idle.signal, redirect: 'follow' }), idle };
  } catch (e) {
    idle.clear();
    throw unreachable(url, e, idle.signal.aborted ? `no answer within ${idleTimeoutMs / 1000} s` : undefined);
  }
}

/** The one-line error for an unexpected HTTP status. */
export function httpError(url: string, status: number, statusText: string): DownloadError {
  const head = `${url}: HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  if (status === 404) return new DownloadError(`${head}: not on the server (check the name, revision and file name)`);
  if (status === 401 || status === 403) {
    return new DownloadError(`${head}: access denied (a gated or private repository needs HF_TOKEN set to a token with access)`);
  }
  return new DownloadError(`${head}: the server refused the download; try again later or set HF_ENDPOINT to a mirror`);
}

/** Creates `dir`; an unwritable place becomes a DownloadError. */
export function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw diskError(e, dir) ?? e;
  }
}

/** A disk-side failure (full, unwritable) as a DownloadError, or undefined for other errors. */
function diskError(e: unknown, where: string): DownloadError | undefined {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (DISK_FULL.has(code)) return new DownloadError(`disk full while writing ${where} (${code}): free some space and pull again; nothing was kept`);
  if (NOT_WRITABLE.has(code)) {
    return new DownloadError(`cannot write ${where} (${code}): make the models folder writable or set SPECINFER_MODELS to a writable folder`);
  }
  return undefined;
}

interface IdleTimer {
  readonly signal: AbortSignal;
  poke(): void;
  clear(): void;
}

function idleTimer(ms: number): IdleTimer {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${ms / 1000} s`)), ms);
    timer.unref();
  };
  arm();
  return { signal: controller.signal, poke: arm, clear: () => clearTimeout(timer) };
}

/** Bytes of `part` to resume from; a `.part` longer than the expected size is dropped. */
function usableOffset(part: string, size: number | undefined): number {
  if (!existsSync(part)) return 0;
  const have = statSync(part).size;
  if (size !== undefined && have > size) {
    unlinkSync(part);
    return 0;
  }
  return have;
}

async function fetchInto(spec: FileSpec, part: string, offset: number, opts: TransferOptions): Promise<void> {
  const headers = offset > 0 ? { ...opts.headers, Range: `bytes=${offset}-` } : opts.headers;
  const { res, idle } = await request(spec.url, headers, opts.idleTimeoutMs);
  const resumed = offset > 0 && res.status === 206 && rangeStart(res) === offset;
  if (offset > 0 && !resumed && (res.status === 206 || res.status === 416)) {
    idle.clear();
    await res.body?.cancel();
    unlinkSync(part);
    return fetchInto(spec, part, 0, opts);
  }
  if (res.status !== 200 && !resumed) {
    idle.clear();
    await res.body?.cancel();
    throw httpError(spec.url, res.status, res.statusText);
  }
  if (offset > 0 && !resumed) opts.log(`${spec.file}: the server ignored the Range request (HTTP 200); starting over`);
  await streamBody(res, spec, part, resumed ? offset : 0, idle, opts);
}

/** The first byte of a 206 answer (Content-Range `bytes A-B/N`), or -1. */
function rangeStart(res: Response): number {
  const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
  return m ? Number(m[1]) : -1;
}

async function streamBody(res: Response, spec: FileSpec, part: string, done: number, idle: IdleTimer, opts: TransferOptions): Promise<void> {
  const length = Number(res.headers.get('content-length') ?? NaN);
  opts.progress.start(spec.file, spec.url, spec.size ?? (Number.isFinite(length) ? done + length : undefined), done);
  const meter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      idle.poke();
      opts.progress.advance(chunk.length);
      callback(null, chunk);
    },
  });
  try {
    if (!res.body) throw new Error('the answer has no body');
    await pipeline(res.body as unknown as AsyncIterable<Uint8Array>, meter, createWriteStream(part, { flags: done > 0 ? 'a' : 'w' }));
  } catch (e) {
    throw transferFailure(e, spec, part, idle.signal);
  } finally {
    idle.clear();
    opts.progress.stop();
  }
}

function transferFailure(e: unknown, spec: FileSpec, part: string, signal: AbortSignal): DownloadError {
  const disk = diskError(e, part);
  if (disk) {
    removeIfThere(part);
    return disk;
  }
  const reason = signal.aborted ? String((signal.reason as Error).message) : causeText(e);
  return interrupted(spec, part, reason);
}

function interrupted(spec: FileSpec, part: string, reason: string): DownloadError {
  const have = existsSync(part) ? statSync(part).size : 0;
  const of = spec.size === undefined ? '' : ` of ${formatBytes(spec.size)}`;
  return new DownloadError(
    `download of ${spec.file} from ${spec.url} was interrupted after ${formatBytes(have)}${of} (${reason}); ` +
      `the partial file ${part} is kept: run the same command again to resume`,
    true,
  );
}

function checkSize(spec: FileSpec, part: string): void {
  const have = statSync(part).size;
  if (spec.size === undefined || have === spec.size) return;
  if (have < spec.size) throw interrupted(spec, part, 'the server closed the connection early');
  unlinkSync(part);
  throw new DownloadError(`${spec.file} from ${spec.url} has ${have} bytes, expected ${spec.size}; nothing was kept`);
}

async function checkSha256(spec: FileSpec, part: string): Promise<void> {
  if (spec.sha256 === undefined) return;
  const hash = createHash('sha256');
  await pipeline(createReadStream(part), hash);
  const got = hash.digest('hex');
  if (got === spec.sha256.toLowerCase()) return;
  unlinkSync(part);
  throw new DownloadError(
    `${spec.file} from ${spec.url}: the file on the server does not match the ${spec.pin ?? 'expected sha256'} ${spec.sha256} ` + `(it has ${got}); nothing was kept`,
  );
}

function unreachable(url: string, e: unknown, timeout: string | undefined): DownloadError {
  const host = new URL(url).host;
  return new DownloadError(`cannot reach ${host} (${timeout ?? causeText(e)}): check the network, or set HF_ENDPOINT to a reachable Hugging Face mirror`, true);
}

/** The most specific text of an error: its cause's code or message. */
function causeText(e: unknown): string {
  const cause = (e as { cause?: NodeJS.ErrnoException }).cause;
  const inner = cause ?? (e as NodeJS.ErrnoException);
  return inner.code ?? inner.message ?? String(e);
}

function removeIfThere(file: string): void {
  if (existsSync(file)) unlinkSync(file);
}
