/** Where tests find the shared model files (read-only; never copied into the repo). */
import path from 'node:path';

/** $SPECINFER_MODELS, or ../shared/models relative to the repo root (the cwd of `mocha`). */
export const MODELS_DIR: string = process.env.SPECINFER_MODELS ?? path.resolve(process.cwd(), '../shared/models');

/** Absolute path of `name` (e.g. 'stories260K/tok512.bin') under MODELS_DIR. */
export function modelFile(name: string): string {
  return path.join(MODELS_DIR, name);
}

/** Sets SPECINFER_MODELS to MODELS_DIR when unset, so loadModel('stories260K') resolves in tests. */
export function useTestModelsDir(): void {
  if (process.env.SPECINFER_MODELS === undefined) process.env.SPECINFER_MODELS = MODELS_DIR;
}
