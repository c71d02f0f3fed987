/**
 * One writer per results folder: a run holds `DIR/run.lock` (created with
 * `wx`, holding { pid, host, started }) while it writes DIR, so two
 * processes given the same shard (a misconfigured array) cannot interleave
 * records; the second fails. A lock whose process is gone on this host is
 * stale and taken over; a lock from another host is left to the user (the
 * error says how to remove it). While held, SIGTERM (scancel, a time limit)
 * ends the process with code 143 after removing the lock.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { makeOutDir } from './out-dir.js';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO 8601. */
  readonly started: string;
}

export interface RunLock {
  readonly file: string;
  /** Removes the lock if it is still this process's (idempotent). */
  release(): void;
}

/** The holder of `dir`'s lock, if any (undefined also for an unreadable lock file). */
export function lockHolder(dir: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** "pid 123 on host h since 2026-...". */
export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on host ${h.host} since ${h.started}`;
}

/** Takes `dir`'s lock (creating dir), or throws a ConfigError naming its holder. */
export function lockResults(dir: string): RunLock {
  makeOutDir(dir);
  const file = path.join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  if (!tryCreate(file, text)) {
    const holder = lockHolder(dir);
    if (holder === undefined || !isStale(holder)) throw new ConfigError(heldMessage(dir, file, holder));
    unlinkSync(file);
    if (!tryCreate(file, text)) throw new ConfigError(heldMessage(dir, file, lockHolder(dir)));
  }
  return holdUntilExit(file, text);
}

function tryCreate(file: string, text: string): boolean {
  try {
    writeFileSync(file, text, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** A holder on this host whose process is gone (another host's cannot be checked). */
function isStale(h: LockHolder): boolean {
  if (h.host !== hostname() || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function heldMessage(dir: string, file: string, h: LockHolder | undefined): string {
  const who = h === undefined ? 'another process (unreadable lock)' : describeHolder(h);
  return (
    `${dir} is being written by ${who}: two runs were given the same results folder (e.g. the same shard twice); ` +
    `wait for it, or if that process is gone (a cancelled job on another host) delete ${file} and resume`
  );
}

function holdUntilExit(file: string, text: string): RunLock {
  const onTerm = (): void => process.exit(143);
  const release = (): void => {
    process.removeListener('exit', release);
    process.removeListener('SIGTERM', onTerm);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) unlinkSync(file);
  };
  process.on('exit', release);
  if (process.listenerCount('SIGTERM') === 0) process.on('SIGTERM', onTerm);
  return { file, release };
}
