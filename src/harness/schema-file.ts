/**
 * configs/schema.json: the JSON Schema of experiment files, generated from
 * the zod definition (src/harness/experiment.ts) for editor support, e.g. a
 * first line `# yaml-language-server: $schema=../schema.json` in a config.
 * `npm run schema` rewrites it; a test checks the checked-in file is current.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimentJsonSchema } from './experiment.js';

/** The file's text. */
export function schemaFileText(): string {
  const schema = { ...experimentJsonSchema(), title: 'specinfer experiment' };
  return JSON.stringify(schema, null, 2) + '\n';
}

/** A file of this package by its path from the package root (found from this file: dist/src/harness or src/harness). */
export function packagePath(relative: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.split(path.sep).includes('dist') ? '../../..' : '../..';
  return path.resolve(here, up, relative);
}

/** configs/schema.json of this package. */
export function schemaFilePath(): string {
  return packagePath('configs/schema.json');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  writeFileSync(schemaFilePath(), schemaFileText());
  console.log(`wrote ${path.relative(process.cwd(), schemaFilePath())}`);
}
