/** Where tests find model files: the repository's shipped models/, unless SPECINFER_MODELS points elsewhere. */
import path from 'node:path';
import { BUNDLED_MODELS_DIR } from '../../src/model/models.js';

/** $SPECINFER_MODELS when set, else the repository's models/ (stories260K and its three drafts). */
export const MODELS_DIR: string = process.env.SPECINFER_MODELS || BUNDLED_MODELS_DIR;

/** Absolute path of `name` (e.g. 'stories260K/tok512.bin') under MODELS_DIR. */
export function modelFile(name: string): string {
  return path.join(MODELS_DIR, name);
}

/** Sets SPECINFER_MODELS to MODELS_DIR when unset, so loadModel('stories260K') resolves from any cwd. */
export function useTestModelsDir(): void {
  if (process.env.SPECINFER_MODELS === undefined) process.env.SPECINFER_MODELS = MODELS_DIR;
}
