import type { Tokenizer } from '../../src/model/formats/tokenizer.js';

/** Eight TinyStories-style prompts for conformance runs. */
export const CONFORMANCE_PROMPTS: readonly string[] = [
  'Once upon a time',
  'Tom had a red ball. One day',
  'The cat sat on the mat and',
  'Lily and Ben went to the park. They saw',
  '"Can I play too?" asked the little dog.',
  'Mom said, "It is time for bed."',
  'There was a big tree in the garden.',
  '',
];

export function encodeAll(tok: Tokenizer, prompts: readonly string[]): Int32Array[] {
  return prompts.map((p) => tok.encode(p, { bos: true }));
}
