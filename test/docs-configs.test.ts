/**
 * The examples of docs/configs.md: every ```yaml block there is a whole
 * experiment file that loads as `specinfer validate` loads it (from a folder
 * holding the doc's JSONL example as my-prompts.jsonl, with experiments/ and
 * examples/ at hand, plugins imported), and the seeds example runs the seeds
 * the doc says.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellSeeds } from '../src/harness/experiment.js';
import { openExperiment, type Experiment } from '../src/harness/load.js';
import { unloadPlugins } from '../src/harness/plugins.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = readFileSync(path.join(ROOT, 'docs/configs.md'), 'utf8');

/** The text of every fenced ```yaml block, in order. */
function yamlBlocks(md: string): string[] {
  return [...md.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** Loads each block as file exN.yaml with the working directory set to `dir`. */
async function loadAll(dir: string, blocks: readonly string[]): Promise<Experiment[]> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const out: Experiment[] = [];
    for (const [i, text] of blocks.entries()) out.push(await openExperiment(`ex${i}.yaml`, { text }));
    return out;
  } finally {
    process.chdir(cwd);
  }
}

describe('docs/configs.md examples', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-docs-'));
    symlinkSync(path.join(ROOT, 'experiments'), path.join(dir, 'experiments'));
    symlinkSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'));
    const jsonl = /^ {4}(\{"id".*"references".*\})$/m.exec(DOC);
    expect(jsonl, 'the workload line with references').to.not.equal(null);
    writeFileSync(path.join(dir, 'my-prompts.jsonl'), `${jsonl?.[1] ?? ''}\n`);
  });
  after(() => {
    unloadPlugins();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the examples the doc promises', () => {
    const text = yamlBlocks(DOC).join('\n');
    for (const form of [
      'policy: {kind: dynamic',
      'kind: hybrid',
      '{name: small',
      'references',
      'weights: q8_0',
      'targetWeights',
      'sampling.temperature: [0, 0.8]',
      'plugins: [./examples/plugins/bigram.mjs]',
      'kind: p-split',
      'description:',
      '[{kind: draft-model, models: [stories260K-ssm-m]}, ns]',
    ]) {
      expect(text + DOC, form).to.include(form);
    }
  });

  it('every yaml block validates, warnings only where allowLossy allows them', async () => {
    const blocks = yamlBlocks(DOC);
    expect(blocks.length).to.be.greaterThan(10);
    (await loadAll(dir, blocks)).forEach((exp, i) => {
      expect(exp.warnings.length === 0 || /allowLossy: true/.test(blocks[i]), `block ${i}: ${exp.warnings.join('; ')}`).to.equal(true);
    });
  });

  it('the seeds example: 1 seed greedy, 4 when sampling', async () => {
    const block = yamlBlocks(DOC).find((b) => b.includes('sampling.temperature: [0, 0.8]')) ?? '';
    const [exp] = await loadAll(dir, [block]);
    const swept = exp.cells.filter((c) => !c.info.baseline);
    expect(swept.map((c) => cellSeeds(c.config))).to.deep.equal([[0], [0, 1, 2, 3]]);
  });
});
