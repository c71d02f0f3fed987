/**
 * The layers of src/, imports in one direction only (docs/design.md#layers):
 * a folder imports only folders below it; folders on one level do not import
 * each other. Static and dynamic imports both count.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Level of each folder of src/, top (0) to bottom. */
const LEVELS: Readonly<Record<string, number>> = {
  cli: 0,
  bench: 0,
  report: 1,
  harness: 2,
  decode: 3,
  speculators: 4,
  engine: 5,
  verifiers: 5,
  model: 6,
  tree: 6,
  sampling: 7,
  core: 8,
};

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const IMPORT = /(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g;

/** `from -> to` for every import of one src folder by another. */
function crossImports(): { from: string; to: string; file: string }[] {
  const out: { from: string; to: string; file: string }[] = [];
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const from = path.relative(SRC, file).split(path.sep)[0];
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = path.relative(SRC, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
      if (to !== from && !from.endsWith('.ts')) out.push({ from, to, file: path.relative(SRC, file) });
    }
  }
  return out;
}

/** Subfolders of src/model that import none of the listed ones (docs/design.md#layers). */
const MODEL_PARTS: Readonly<Record<string, readonly string[]>> = {
  formats: ['graph', 'pull'],
  graph: ['pull'],
  pull: ['graph', 'formats'],
};

/** `model/part` of a file of src/model/PART/, else undefined. */
function modelPart(rel: string): string | undefined {
  const parts = rel.split(path.sep);
  return parts[0] === 'model' && parts.length > 2 ? parts[1] : undefined;
}

describe('layering of src/', () => {
  it('every folder has a level', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => LEVELS[f] === undefined)).to.deep.equal([]);
  });

  it('imports go down only', () => {
    const edges = crossImports();
    expect(edges.length).to.be.greaterThan(50);
    const wrong = edges.filter((e) => !(LEVELS[e.from] < LEVELS[e.to])).map((e) => `${e.file} imports ${e.to}/`);
    expect(wrong).to.deep.equal([]);
  });

  it('model/: formats and pull do not import graph building, graph building reads no files', () => {
    const wrong: string[] = [];
    for (const entry of readdirSync(path.join(SRC, 'model'), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = path.join(entry.parentPath, entry.name);
      const from = modelPart(path.relative(SRC, file));
      if (from === undefined) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const to = modelPart(path.relative(SRC, path.resolve(path.dirname(file), m[1])));
        if (to !== undefined && MODEL_PARTS[from].includes(to)) wrong.push(`${path.relative(SRC, file)} imports model/${to}/`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });
});
