/**
 * Output folders of the commands that write (run, replay, merge, report,
 * trace, export): created before anything is written, and a folder that
 * cannot be made is one ConfigError naming it and why.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name exists',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOENT: 'the file system does not allow a folder there',
  ENOSPC: 'no space left on the device',
};

/**
 * Creates folder `dir` and its missing parents, one level at a time: Node's
 * recursive mkdirSync retries forever where mkdir fails with ENOENT under an
 * existing parent (e.g. in /proc). `option` is the flag that names the path.
 */
export function makeOutDir(dir: string, option = '--out'): void {
  createDir(dir, (reason) => new ConfigError(`cannot create the folder ${dir}: ${reason}; choose another ${option}`));
}

/** Makes the folder of output file `file`; `file` itself must not be a folder. */
export function makeOutFileDir(file: string, option = '--out'): void {
  createDir(path.dirname(file), (reason) => new ConfigError(`cannot write ${file}: ${reason}; choose another ${option}`));
  if (existsSync(file) && statSync(file).isDirectory()) throw new ConfigError(`cannot write ${file}: it is a folder; choose another ${option}`);
}

function createDir(dir: string, fail: (reason: string) => ConfigError): void {
  const missing: string[] = [];
  let existing = path.resolve(dir);
  while (!existsSync(existing) && path.dirname(existing) !== existing) {
    missing.unshift(existing);
    existing = path.dirname(existing);
  }
  const shown = path.isAbsolute(dir) ? existing : path.relative('.', existing);
  if (!statSync(existing).isDirectory()) throw fail(`${shown} is a file, not a folder`);
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      throw fail(REASONS[code] ?? (e as Error).message);
    }
  }
}
