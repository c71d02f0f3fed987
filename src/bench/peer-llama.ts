/**
 * The peer side of `npm run bench:peer`: llama.cpp through node-llama-cpp
 * (CPU only), greedy, fed the same token ids as specinfer. Only this file
 * imports node-llama-cpp (a devDependency).
 */
import { DraftSequenceTokenPredictor, getLlama, InputLookupTokenPredictor, LlamaLogLevel, type Llama, type LlamaContextSequence, type LlamaModel } from 'node-llama-cpp';

export type PeerMode = 'incremental' | 'draft' | 'lookup';

export interface PeerSettings {
  readonly mode: PeerMode;
  readonly threads: number;
  /** draft: tokens drafted at most / minimum confidence; lookup: longest prediction. */
  readonly maxTokens?: number;
  readonly minConfidence?: number;
}

/** A generation system under test: greedy tokens after a prompt, stopping at a stop token. */
export interface PeerSystem {
  readonly name: string;
  generate(prompt: Int32Array, maxTokens: number, stopTokens: readonly number[]): Promise<number[]>;
  dispose(): Promise<void>;
}

let llamaInstance: Llama | null = null;

async function llama(): Promise<Llama> {
  llamaInstance ??= await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  return llamaInstance;
}

export async function loadPeerModel(file: string): Promise<LlamaModel> {
  return (await llama()).loadModel({ modelPath: file, gpuLayers: 0 });
}

function settingsName(s: PeerSettings): string {
  const extra = s.mode === 'draft' ? ` maxTokens=${s.maxTokens} minConfidence=${s.minConfidence}` : s.mode === 'lookup' ? ` maxTokens=${s.maxTokens}` : '';
  return `llama.cpp ${s.mode} threads=${s.threads}${extra}`;
}

/** A llama.cpp system for one target (and, in draft mode, one draft model). */
export async function peerSystem(target: LlamaModel, draft: LlamaModel | null, s: PeerSettings, contextSize: number): Promise<PeerSystem> {
  const ctx = await target.createContext({ contextSize, threads: s.threads, sequences: 1 });
  const draftCtx = s.mode === 'draft' && draft ? await draft.createContext({ contextSize, threads: s.threads, sequences: 1 }) : null;
  const predictor =
    s.mode === 'draft' && draftCtx
      ? new DraftSequenceTokenPredictor(draftCtx.getSequence(), { maxTokens: s.maxTokens, minConfidence: s.minConfidence })
      : s.mode === 'lookup'
        ? new InputLookupTokenPredictor({ predictionLength: { max: s.maxTokens } })
        : undefined;
  const seq: LlamaContextSequence = ctx.getSequence({ tokenPredictor: predictor });
  return {
    name: settingsName(s),
    async generate(prompt, maxTokens, stopTokens) {
      await seq.clearHistory();
      const out: number[] = [];
      if (maxTokens === 0) return out;
      for await (const token of seq.evaluate(Array.from(prompt) as never[], { temperature: 0 })) {
        const t = Number(token);
        if (stopTokens.includes(t)) break;
        out.push(t);
        if (out.length >= maxTokens) break;
      }
      return out;
    },
    async dispose() {
      await ctx.dispose();
      await draftCtx?.dispose();
    },
  };
}
