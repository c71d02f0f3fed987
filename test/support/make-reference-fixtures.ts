/**
 * Regenerates test/fixtures/reference-tokens.json: greedy continuations of a
 * few prompts by the reference model on stories260K, the ground truth the
 * engine tests compare against. Run from the repo root after `tsc`:
 *   node dist/test/support/make-reference-fixtures.js
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLlama2cCheckpoint } from '../../src/model/formats/llama2c.js';
import { readLlama2cVocab } from '../../src/model/formats/llama2c-vocab.js';
import { Llama2cTokenizer } from '../../src/model/formats/llama2c-tokenizer.js';
import { modelFile } from './models-dir.js';
import { referenceGreedy } from './reference.js';

export const REFERENCE_PROMPTS: readonly string[] = [
  'Once upon a time',
  'Tom and his dog',
  'The little bird was sad because',
  'One day, a girl named Mia found',
  'The sun was shining and',
];
export const REFERENCE_NEW_TOKENS = 128;

/** One fixture entry: the prompt, its tokens (BOS + text) and the 128 greedy tokens after them. */
export interface ReferenceCase {
  prompt: string;
  promptTokens: number[];
  tokens: number[];
}

export function makeReferenceCases(): ReferenceCase[] {
  const weights = readLlama2cCheckpoint(modelFile('stories260K/stories260K.bin'));
  const tok = new Llama2cTokenizer(readLlama2cVocab(modelFile('stories260K/tok512.bin'), weights.config.vocabSize));
  return REFERENCE_PROMPTS.map((prompt) => {
    const promptTokens = tok.encode(prompt, { bos: true });
    const tokens = referenceGreedy(weights, promptTokens, REFERENCE_NEW_TOKENS);
    return { prompt, promptTokens: Array.from(promptTokens), tokens: Array.from(tokens) };
  });
}

/** test/fixtures/reference-tokens.json, found from this file's location (dist/test/support or test/support). */
export function referenceFixturePath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = here.split(path.sep).includes('dist') ? path.resolve(here, '../../..') : path.resolve(here, '../..');
  return path.join(root, 'test/fixtures/reference-tokens.json');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const cases = makeReferenceCases();
  const lines = cases.map((c) => '  ' + JSON.stringify(c));
  writeFileSync(referenceFixturePath(), `[\n${lines.join(',\n')}\n]\n`);
  console.log(`wrote ${cases.length} cases to ${referenceFixturePath()}`);
}
