/**
 * Shared pieces of the property-based (fuzz) tests of the file readers:
 * run counts, byte mutations of valid seed files, a temp dir, and the
 * property itself: a reader either loads or throws a SpecInferError naming
 * the file, quickly.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpecInferError } from '../../src/core/errors.js';

/** fast-check parameters: a fixed seed, `fast` runs, or $FUZZ_RUNS runs (the full tier). */
export function fuzzParams(seed: number, fast: number): fc.Parameters<unknown> {
  const full = Number(process.env.FUZZ_RUNS ?? 0);
  return { seed, numRuns: full > 0 ? full : fast, endOnFailure: true };
}

/** One edit of a file's bytes. */
export type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'overwrite'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array };

/** A position in [0, len]: anywhere, or within 2 bytes of one of `boundaries` (field and section edges). */
function position(len: number, boundaries: readonly number[] = []): fc.Arbitrary<number> {
  const near = boundaries.length === 0 ? [] : [fc.tuple(fc.constantFrom(...boundaries), fc.integer({ min: -2, max: 2 })).map(([b, d]) => b + d)];
  return fc.oneof(fc.integer({ min: 0, max: len }), ...near).map((p) => Math.min(len, Math.max(0, p)));
}

/** Interesting byte runs to write over a field: extremes of u32/u64 little-endian, and random bytes. */
const hostileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(
    Uint8Array.of(0xff, 0xff, 0xff, 0xff),
    Uint8Array.of(0xff, 0xff, 0xff, 0x7f),
    Uint8Array.of(0, 0, 0, 0x80),
    Uint8Array.of(0, 0, 0, 0),
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0x40),
    Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    Uint8Array.of(0, 0, 0, 0, 0, 1, 0, 0),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 16 }),
);

/** 1 to 3 mutations of a file of `len` bytes, positions biased toward `boundaries`. */
export function mutations(len: number, boundaries: readonly number[] = []): fc.Arbitrary<Mutation[]> {
  const at = position(len, boundaries);
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    at.map((p) => ({ kind: 'truncate', at: p }) as const),
    fc.tuple(at, fc.integer({ min: 0, max: 7 })).map(([p, bit]) => ({ kind: 'flip', at: p, bit }) as const),
    fc.tuple(at, hostileBytes).map(([p, bytes]) => ({ kind: 'overwrite', at: p, bytes }) as const),
    fc.tuple(at, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([p, bytes]) => ({ kind: 'insert', at: p, bytes }) as const),
  );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

/** `buf` with `muts` applied in order (positions past the current end are clamped). */
export function mutate(buf: Uint8Array, muts: readonly Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of muts) {
    const at = Math.min(m.at, b.length);
    if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === 'flip' && at < b.length) b[at] ^= 1 << m.bit;
    else if (m.kind === 'overwrite') b.set(m.bytes.subarray(0, b.length - at), at);
  }
  return b;
}

/** Random files: empty to 256 bytes. */
export const randomBytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 0, maxLength: 256 });

/** A temp directory for one test file, removed by `remove()`. */
export class TempDir {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-fuzz-'));

  /** Writes `bytes` (or text) to `name` in the dir and returns its path. */
  write(name: string, bytes: Uint8Array | string): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, bytes);
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Longest a reader may take on one small malformed file (shared, busy cores: generous, but far below a hang). */
const MAX_CASE_MS = 3000;

/**
 * The fuzz property: `load()` returns, or throws a SpecInferError whose
 * message names `file`; in either case within MAX_CASE_MS. Returns the error
 * (undefined when it loaded) so tests can check its wording.
 */
export function loadsOrFailsCleanly(file: string, load: () => unknown): SpecInferError | undefined {
  const t0 = performance.now();
  let err: SpecInferError | undefined;
  try {
    load();
  } catch (e) {
    if (!(e instanceof SpecInferError)) {
      const raw = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      throw new Error(`${file}: raw exception instead of a SpecInferError: ${raw}`, { cause: e });
    }
    expect(e.message, 'the error names the file').to.include(file);
    err = e;
  }
  expect(performance.now() - t0, `time to read ${file} (ms)`).to.be.below(MAX_CASE_MS);
  return err;
}

/** Asserts `load()` fails with a SpecInferError naming `file` whose message matches `pattern`. */
export function expectCleanFailure(file: string, load: () => unknown, pattern: RegExp): void {
  const err = loadsOrFailsCleanly(file, load);
  expect(err, `${file} should not load`).to.not.equal(undefined);
  expect(err?.message).to.match(pattern);
}

/** The fuzz property over `muts` applied to `seed`, each result written to `tmp/name` and read by `read`. */
export function assertMutantsFailCleanly(tmp: TempDir, name: string, seed: Uint8Array, muts: fc.Arbitrary<Mutation[]>, read: () => unknown, params: fc.Parameters<unknown>): void {
  const file = path.join(tmp.dir, name);
  fc.assert(
    fc.property(muts, (m) => {
      tmp.write(name, mutate(seed, m));
      loadsOrFailsCleanly(file, read);
    }),
    params,
  );
}
