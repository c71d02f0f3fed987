/**
 * `npm run models:x78m`: makes stories260K-x78M in $SPECINFER_MODELS (default
 * ./models) if it is not there yet: stories260K (from the same folder)
 * inflated to X78M_SHAPE (seeded random fill), written as a Hugging Face
 * folder (313 MB, float32). It computes the same function as stories260K at
 * the cost of a dense 78M-parameter model; it is made on demand and never
 * committed. Checks the result (32 greedy tokens equal stories260K's) and
 * prints timings. Benchmarks call ensureX78m() directly.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workModelsDir } from './work-dir.js';
import { monotonicClock } from '../core/types.js';
import { generateIncremental } from '../decode/incremental.js';
import { EngineModel } from '../engine/model.js';
import { writeHfFolder } from '../model/formats/hf-writer.js';
import { inflateWeights, X78M_NAME, X78M_SHAPE } from '../model/inflate.js';
import { loadModel, modelVocab, type LoadedModel } from '../model/models.js';
import { parameterCount } from '../model/weights.js';

async function greedy(m: LoadedModel, prompt: Int32Array, n: number): Promise<{ tokens: number[]; msPerToken: number }> {
  const e = await EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] });
  const r = await generateIncremental(e, prompt, { maxTokens: n, stopTokens: [m.tokenizer.bosId] });
  await e.dispose();
  return { tokens: [...r.tokens], msPerToken: r.decodeMs / Math.max(1, r.steps) };
}

/**
 * Makes `<dir>/stories260K-x78M` from `<dir>/stories260K` unless it exists
 * (written to a `.part` folder, renamed when complete and checked); returns its path.
 */
export async function ensureX78m(dir: string, log: (line: string) => void): Promise<string> {
  const dest = path.join(dir, X78M_NAME);
  if (existsSync(path.join(dest, 'config.json'))) return dest;
  const clock = monotonicClock;
  const t0 = clock.nowMs();
  const small = await loadModel(path.join(dir, 'stories260K'));
  const t1 = clock.nowMs();
  const big = inflateWeights(small.weights, X78M_SHAPE);
  const t2 = clock.nowMs();
  const part = `${dest}.part`;
  rmSync(part, { recursive: true, force: true });
  writeHfFolder(part, big, modelVocab(small));
  renameSync(part, dest);
  const t3 = clock.nowMs();
  const loaded = await loadModel(dest);
  const t4 = clock.nowMs();
  const prompt = small.tokenizer.encode('Once upon a time');
  const [a, b] = [await greedy(small, prompt, 32), await greedy(loaded, prompt, 32)];
  if (a.tokens.join() !== b.tokens.join()) {
    rmSync(dest, { recursive: true, force: true });
    throw new Error(`${dest}: greedy tokens differ from stories260K's (${b.tokens.join(',')} vs ${a.tokens.join(',')}); removed it`);
  }
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  log(
    `${dest}: ${parameterCount(big)} parameters (stories260K: ${parameterCount(small.weights)}), rms_norm_eps ${big.config.normEps}; ` +
      `load ${s(t1 - t0)} s, inflate ${s(t2 - t1)} s, write ${s(t3 - t2)} s, load back ${s(t4 - t3)} s; ` +
      `32 greedy tokens equal stories260K's (${a.msPerToken.toFixed(2)} vs ${b.msPerToken.toFixed(2)} ms/token, 1 thread)`,
  );
  return dest;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const dir = workModelsDir(log);
  const dest = path.join(dir, X78M_NAME);
  if (existsSync(path.join(dest, 'config.json'))) log(`${dest} exists, skipped`);
  else await ensureX78m(dir, log);
}
