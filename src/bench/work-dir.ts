/**
 * Where benchmark scripts write derived models (inflated targets, GGUF
 * exports): the models folder (modelsDir: $SPECINFER_MODELS, else ./models)
 * when it is writable; otherwise (e.g. a read-only shared folder)
 * ~/.cache/specinfer/models, which then links every model found by name and
 * becomes SPECINFER_MODELS for this process.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { modelSearchDirs, modelsDir } from '../model/models.js';

/** Writable for us and not marked read-only (root passes access checks even on r-x folders). */
function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return (statSync(dir).mode & 0o222) !== 0;
  } catch {
    return false;
  }
}

/** A writable models folder holding (links to) every model the name look-up finds (modelSearchDirs). */
export function workModelsDir(log: (line: string) => void): string {
  const dir = modelsDir();
  if (writable(dir)) return dir;
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'specinfer', 'models');
  mkdirSync(cache, { recursive: true });
  for (const source of modelSearchDirs().filter((d) => existsSync(d))) {
    for (const name of readdirSync(source)) {
      const link = path.join(cache, name);
      if (!existsSync(link)) symlinkSync(path.join(source, name), link);
    }
  }
  log(`${dir} is not writable: derived models go to ${cache}`);
  process.env.SPECINFER_MODELS = cache;
  return cache;
}
