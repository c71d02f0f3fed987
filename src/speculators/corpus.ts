/**
 * Retrieval corpora: text files read as documents. A `.jsonl` file holds
 * one document per line, an object with a string "text"; any other file is
 * plain text whose documents are separated by blank lines. Spans are never
 * matched across documents.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';

/** Why `file` cannot serve as a corpus (missing, not a file, no text), or undefined. */
export function corpusProblem(file: string): string | undefined {
  const abs = path.resolve(file);
  if (!existsSync(abs)) return `corpus file ${abs} not found`;
  if (!statSync(abs).isFile()) return `corpus ${abs} is not a file`;
  return readFileSync(abs, 'utf8').trim() === '' ? `corpus file ${abs} is empty (no documents)` : undefined;
}

/**
 * The documents of a corpus file (non-empty strings, in file order). A
 * missing or empty file is a RangeError (an option error: the registry names
 * the speculator), a malformed JSONL line a ConfigError at FILE:LINE.
 */
export function readCorpus(file: string): string[] {
  const problem = corpusProblem(file);
  if (problem) throw new RangeError(problem);
  const abs = path.resolve(file);
  const text = readFileSync(abs, 'utf8');
  const docs = abs.endsWith('.jsonl') ? jsonlDocuments(abs, text) : text.split(/\n\s*\n/);
  return docs.map((d) => d.trim()).filter((d) => d !== '');
}

function jsonlDocuments(file: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new ConfigError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    const doc = (v as { text?: unknown } | null)?.text;
    if (typeof doc !== 'string') throw new ConfigError(`${file}:${i + 1}: each line must be an object with a string "text" (a document)`);
    return [doc];
  });
}
