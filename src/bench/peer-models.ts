/**
 * Models the peer benchmark needs, made on demand and never committed:
 * stories260K-x78M (stories260K inflated, a Hugging Face folder) and GGUF
 * exports of the targets and of the draft for llama.cpp. They go into
 * $SPECINFER_MODELS when it is writable; otherwise (e.g. a read-only shared
 * folder) into ~/.cache/specinfer/models, which then links the original
 * models and becomes SPECINFER_MODELS for this process.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureX78m } from './make-x78m.js';
import { writeGguf } from '../model/gguf-writer.js';
import { loadModel, modelsDir, modelVocab } from '../model/models.js';

export interface BenchModels {
  /** Model name -> GGUF file (F32). */
  readonly gguf: Readonly<Record<string, string>>;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A writable models folder holding (links to) every model of SPECINFER_MODELS. */
function workDir(log: (line: string) => void): string {
  const dir = modelsDir();
  if (writable(dir)) return dir;
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'specinfer', 'models');
  mkdirSync(cache, { recursive: true });
  for (const name of readdirSync(dir)) {
    const link = path.join(cache, name);
    if (!existsSync(link)) symlinkSync(path.join(dir, name), link);
  }
  log(`${dir} is read-only: derived models go to ${cache}`);
  process.env.SPECINFER_MODELS = cache;
  return cache;
}

export async function ensureBenchModels(log: (line: string) => void): Promise<BenchModels> {
  const dir = workDir(log);
  await ensureX78m(dir, log);
  const gguf: Record<string, string> = {};
  for (const name of ['stories260K', 'stories260K-ssm-m', 'stories260K-x78M']) {
    const file = path.join(dir, `${name}.gguf`);
    if (!existsSync(file)) {
      const m = await loadModel(name);
      writeGguf(file, m.weights, modelVocab(m), { dtype: 'F32' });
      log(`wrote ${file}`);
    }
    gguf[name] = file;
  }
  return { gguf };
}
