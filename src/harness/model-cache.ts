/**
 * Models shared by the cells of a run: each reference is read once and
 * each (model, engine options, layers) compiled once, so a sweep over tree
 * shapes or verifiers does not reload its target and drafts per cell.
 */
import type { EngineModel, EngineOptions } from '../engine/model.js';
import { loadModelAs, type LoadedModel } from '../model/models.js';
import type { WeightsType } from '../model/formats/quant.js';
import { weightsType, type Matrix } from '../model/weights.js';
import { freshModels, type ModelProvider } from './components.js';

export class ModelCache implements ModelProvider {
  readonly shared = true;
  private readonly files = new Map<string, Promise<LoadedModel<Matrix>>>();
  private readonly engines = new Map<string, Promise<EngineModel>>();

  load(ref: string, weights?: WeightsType): Promise<LoadedModel<Matrix>> {
    const key = `${ref}\u0000${weights ?? ''}`;
    let m = this.files.get(key);
    if (m === undefined) {
      m = loadModelAs(ref, weights);
      this.files.set(key, m);
      m.catch(() => this.files.delete(key));
    }
    return m;
  }

  engine(m: LoadedModel<Matrix>, opts: EngineOptions, layers?: number): Promise<EngineModel> {
    const key = JSON.stringify([
      m.path,
      m.id,
      weightsType(m.weights),
      opts.threads ?? 1,
      opts.executionProviders ?? ['cpu'],
      opts.graph ?? 'fused',
      opts.quantAccuracy ?? null,
      layers ?? opts.layers ?? null,
    ]);
    let e = this.engines.get(key);
    if (e === undefined) {
      e = freshModels.engine(
        m,
        { threads: opts.threads, executionProviders: opts.executionProviders, graph: opts.graph, quantAccuracy: opts.quantAccuracy },
        layers ?? opts.layers,
      );
      this.engines.set(key, e);
      e.catch(() => this.engines.delete(key));
    }
    return e;
  }

  /** Disposes every engine model (the cache is empty afterwards). */
  async dispose(): Promise<void> {
    const engines = [...this.engines.values()];
    this.engines.clear();
    this.files.clear();
    for (const e of engines) {
      try {
        await (await e).dispose();
      } catch {
        // a model that failed to build has nothing to dispose
      }
    }
  }
}
