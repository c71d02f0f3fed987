/**
 * Sampling parameters, applied the same way to the target's and the
 * drafts' distributions before verification. temperature 0 = greedy (argmax).
 * topK 0 = off; topP 1 = off.
 */
export interface SamplingParams {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1 };
