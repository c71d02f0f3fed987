/**
 * Models the peer benchmark needs, made on demand and never committed:
 * stories260K-x78M (stories260K inflated, a Hugging Face folder) and GGUF
 * exports of the targets and of the draft for llama.cpp. They go into
 * $SPECINFER_MODELS when it is writable; otherwise (e.g. a read-only shared
 * folder) into ~/.cache/specinfer/models, which then links the original
 * models and becomes SPECINFER_MODELS for this process.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureX78m } from './make-x78m.js';
import { writeGguf } from '../model/formats/gguf-writer.js';
import { loadModel, modelVocab } from '../model/models.js';
import { workModelsDir } from './work-dir.js';

export interface BenchModels {
  /** Model name -> GGUF file (F32). */
  readonly gguf: Readonly<Record<string, string>>;
}

export async function ensureBenchModels(log: (line: string) => void): Promise<BenchModels> {
  const dir = workModelsDir(log);
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
