import * as ort from 'onnxruntime-node';
import { writeFileSync } from 'node:fs';
import { EngineError } from '../core/errors.js';
import type { SerializedModel } from '../model/graph/onnx-graph.js';

/** How sessions are created; a config field wherever a model is named. */
export interface SessionOptions {
  /** onnxruntime execution providers in priority order; default ['cpu']. */
  readonly executionProviders?: readonly string[];
  /** Intra-op threads (0 = onnxruntime's default: one per core); default 1. */
  readonly threads?: number;
  /** Write the built ONNX graph to this path (debugging only). */
  readonly dumpOnnxPath?: string;
  /** Record onnxruntime's per-kernel profile into `<prefix>_<date>.json` (written by endProfiling). */
  readonly profileFilePrefix?: string;
  /**
   * Whether intra-op threads stop spin-waiting when a run returns (default
   * false: onnxruntime keeps them spinning for a while). Spinning threads of
   * an idle session take the cores from another session's run (ForwardSessions).
   */
  readonly stopSpinningAfterRun?: boolean;
}

export type FeedTensor = ort.Tensor;

/** One compiled graph in onnxruntime. */
export class OrtSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  /**
   * A session of a serialized model, of a model with in-memory external data
   * (onnx-graph.ts toModel), or of a model file (`path`, its external data
   * files beside it). onnxruntime copies in-memory external data into its own
   * tensors: the caller may drop or reuse those arrays once this resolves
   * (test/engine/external-data.test.ts overwrites them and compares logits).
   */
  static async create(graph: Uint8Array | SerializedModel | { readonly path: string }, opts: SessionOptions = {}): Promise<OrtSession> {
    const model = graph instanceof Uint8Array ? { bytes: graph, external: [] } : graph;
    if (opts.dumpOnnxPath && 'bytes' in model) writeFileSync(opts.dumpOnnxPath, model.bytes);
    const providers = [...(opts.executionProviders ?? ['cpu'])];
    const source = 'path' in model ? model.path : model.bytes;
    const external = 'external' in model && model.external.length > 0 ? { externalData: model.external.map((f) => ({ path: f.path, data: f.data })) } : {};
    const options: ort.InferenceSession.SessionOptions = {
      ...external,
      executionProviders: providers,
      intraOpNumThreads: opts.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      ...(opts.stopSpinningAfterRun === true ? { extra: { session: { force_spinning_stop: '1' } } } : {}),
      ...(opts.profileFilePrefix === undefined ? {} : { enableProfiling: true, profileFilePrefix: opts.profileFilePrefix }),
    };
    try {
      const session = typeof source === 'string' ? await ort.InferenceSession.create(source, options) : await ort.InferenceSession.create(source, options);
      return new OrtSession(session);
    } catch (e) {
      throw new EngineError(
        `onnxruntime could not create a session with execution providers [${providers.join(', ')}]: ${(e as Error).message}. ` +
          `The CPU provider always works; 'cuda' needs an onnxruntime-node install with CUDA binaries (see README).`,
      );
    }
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    return this.session.run(feeds);
  }

  /** Writes the profile file (sessions created with profileFilePrefix). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function int64Tensor(data: BigInt64Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', data, dims);
}

/** The float32 data of an output tensor. */
export function floatData(t: ort.Tensor | undefined, name: string): Float32Array {
  if (!t || !(t.data instanceof Float32Array)) throw new EngineError(`graph output ${name} is missing or not float32`);
  return t.data;
}

/** onnxruntime-node's version, for run environments. */
export const ORT_VERSION: string = ort.env.versions.node ?? 'unknown';
