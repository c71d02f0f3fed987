import { EngineModel, type EngineOptions } from '../../src/engine/model.js';
import type { WeightsType } from '../../src/model/formats/quant.js';
import { loadModelAs } from '../../src/model/models.js';
import { useTestModelsDir } from './models-dir.js';

/** Loads a model by reference (name under the test models dir, or random:...) into the engine; `weights` quantizes at load. */
export async function engineModel(ref: string, opts: EngineOptions = {}, weights?: WeightsType): Promise<EngineModel> {
  useTestModelsDir();
  const m = await loadModelAs(ref, weights);
  return EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] }, opts);
}
