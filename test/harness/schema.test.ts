import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadExperiment } from '../../src/harness/load.js';
import { schemaFilePath, schemaFileText } from '../../src/harness/schema-file.js';
import { POLICY_DEFAULTS } from '../../src/tree/policies.js';
import { useTestModelsDir } from '../support/models-dir.js';

/** Every experiment file under configs/. */
function configFiles(): string[] {
  const root = path.dirname(schemaFilePath());
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : []));
  return walk(root).sort();
}

describe('the experiment schema: one zod definition, a JSON Schema for editors, the configs', () => {
  before(() => useTestModelsDir());

  it('configs/schema.json is the one generated from the zod definition (run `npm run schema` after changing it)', () => {
    expect(readFileSync(schemaFilePath(), 'utf8')).to.equal(schemaFileText());
  });

  it('the JSON Schema carries the options, their defaults and their descriptions, and rejects unknown keys', () => {
    const schema = JSON.parse(schemaFileText()) as {
      required: string[];
      additionalProperties: boolean;
      $defs: Record<string, { oneOf: { properties: Record<string, { default?: unknown; description?: string }>; additionalProperties: boolean }[] }>;
    };
    expect(schema.required).to.deep.equal(['target', 'workload']);
    expect(schema.additionalProperties).to.equal(false);
    const staticPolicy = schema.$defs.TreePolicy.oneOf[0];
    expect(staticPolicy.additionalProperties).to.equal(false);
    expect(staticPolicy.properties.expansion.default).to.deep.equal(POLICY_DEFAULTS.static.expansion);
    expect(staticPolicy.properties.expansion.description).to.match(/<k1, \.\.\., km>/);
    expect(Object.keys(schema.$defs)).to.include.members(['Speculator', 'TreePolicy']);
  });

  it('every config in configs/ validates (models and workloads resolve)', () => {
    const files = configFiles();
    expect(files.map((f) => path.basename(f))).to.include.members([
      'quickstart.yaml',
      'table1-topk.yaml',
      'table2-width.yaml',
      'table3-mss-vs-ns.yaml',
      'fig-e2e.yaml',
      'fig-batch.yaml',
    ]);
    for (const f of files) expect(loadExperiment(f).cells.length, f).to.be.above(0);
  });
});
