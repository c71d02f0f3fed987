import { EngineModel, type EngineOptions } from '../../src/engine/model.js';
import { loadModel } from '../../src/model/models.js';
import { useTestModelsDir } from './models-dir.js';

/** Loads a model by reference (name under the test models dir, or random:...) into the engine. */
export async function engineModel(ref: string, opts: EngineOptions = {}): Promise<EngineModel> {
  useTestModelsDir();
  const m = await loadModel(ref);
  return EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] }, opts);
}
