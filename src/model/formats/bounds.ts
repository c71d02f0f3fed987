/**
 * Bound checks shared by the model file readers: sizes computed from header
 * fields are checked against the file before anything is allocated from
 * them. Every failure is a ModelFileError (or the error class `make` builds)
 * naming the file.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ModelFileError, type SpecInferError } from '../../core/errors.js';

/** Builds the error of a reader family from (file, problem). */
export type FileErrorClass = new (file: string, problem: string) => SpecInferError;

/** `n` as `2^k` when it is a power of two of at least 2^16, else in decimal. */
function formatCount(n: number): string {
  const k = Math.log2(n);
  return Number.isInteger(k) && k >= 16 ? `2^${k}` : String(n);
}

/** A byte count with a binary unit: "512 B", "1.2 MiB", "4 TiB". */
function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : Number(v.toPrecision(v < 10 ? 2 : 3))} ${units[u]}`;
}

/**
 * The product of `factors` (non-negative integers), or a `make` error saying
 * `what` is too large when the product is not a safe integer (2^53).
 */
export function checkedProduct(file: string, what: string, factors: readonly number[], make: FileErrorClass = ModelFileError): number {
  let p = 1;
  for (const f of factors) {
    p *= f;
    if (!Number.isSafeInteger(p)) {
      throw new make(file, `${what} is impossibly large (${factors.join(' x ')} overflows; corrupt header)`);
    }
  }
  return p;
}

/**
 * Checks that `bytes` bytes of `what` (`count` elements) fit in the `available`
 * bytes of the file after its header; `make` error otherwise, e.g.
 * `tensor "x" claims 2^40 elements (4 TiB) but the file has 1.2 MiB after its header`.
 */
export function checkFits(file: string, what: string, count: number, bytes: number, available: number, make: FileErrorClass = ModelFileError): void {
  if (bytes <= available) return;
  throw new make(file, `${what} claims ${formatCount(count)} elements (${formatBytes(bytes)}) but the file has ${formatBytes(Math.max(0, available))} after its header`);
}

/** `v` as short JSON for an error message (at most `max` characters; never throws, even on deep nesting). */
export function brief(v: unknown, max = 80): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[...]' : typeof v === 'object' && v !== null ? '{...}' : String(v);
  }
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** `length` bytes of `file` from `position`; ModelFileError if the file has fewer. */
export function readBytes(file: string, position: number, length: number, into: Uint8Array = Buffer.alloc(length)): Buffer {
  const fd = openSync(file, 'r');
  try {
    readFully(
      fd,
      into.subarray(0, length),
      position,
      (done) => new ModelFileError(file, `truncated: ${length} bytes needed at offset ${position}, the file ended after ${done} (was it changed while being read?)`),
    );
  } finally {
    closeSync(fd);
  }
  return Buffer.from(into.buffer, into.byteOffset, length);
}

/** Fills `into` with the bytes of open file `fd` from `position`; `ended(bytesRead)` is thrown if the file ends first. */
export function readFully(fd: number, into: Uint8Array, position: number, ended: (done: number) => Error): void {
  for (let done = 0; done < into.byteLength;) {
    const n = readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) throw ended(done);
    done += n;
  }
}

/**
 * `fields` with an enumerable getter `data` that calls `read` on each access:
 * a matrix whose values stay in their file until used (read `data` once per use).
 */
export function withLazyData<T extends object, D>(fields: T, read: () => D): T & { readonly data: D } {
  Object.defineProperty(fields, 'data', { get: read, enumerable: true });
  return fields as T & { readonly data: D };
}
