import type { LlamaWeights } from './weights.js';
import type { Tokenizer } from './tokenizer.js';

/** Loads a Hugging Face Llama-family folder (config.json + model.safetensors + tokenizer.json). */
export async function loadHfFolder(dir: string): Promise<{ weights: LlamaWeights; tokenizer: Tokenizer }> {
  throw new Error(`loading Hugging Face folders is being written (${dir})`);
}
