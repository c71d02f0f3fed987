/**
 * Models shared by the cells of a run: each reference is read once and
 * each (model, engine options, layers) compiled once, so a sweep over tree
 * shapes or verifiers does not reload its target and drafts per cell.
 */
import type { EngineModel, EngineOptions } from '../engine/model.js';
import { loadModel, type LoadedModel } from '../model/models.js';
import { freshModels, type ModelProvider } from './components.js';

export class ModelCache implements ModelProvider {
  readonly shared = true;
  private readonly files = new Map<string, Promise<LoadedModel>>();
  private readonly engines = new Map<string, Promise<EngineModel>>();

  load(ref: string): Promise<LoadedModel> {
    let m = this.files.get(ref);
    if (m === undefined) {
      m = loadModel(ref);
      this.files.set(ref, m);
      m.catch(() => this.files.delete(ref));
    }
    return m;
  }

  engine(m: LoadedModel, opts: EngineOptions, layers?: number): Promise<EngineModel> {
    const key = JSON.stringify([m.path, m.id, opts.threads ?? 1, opts.executionProviders ?? ['cpu'], opts.graph ?? 'fused', layers ?? opts.layers ?? null]);
    let e = this.engines.get(key);
    if (e === undefined) {
      e = freshModels.engine(m, { threads: opts.threads, executionProviders: opts.executionProviders, graph: opts.graph }, layers ?? opts.layers);
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
