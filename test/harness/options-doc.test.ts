import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { optionsDocPath, optionsDocText } from '../../src/harness/options-doc.js';
import { SPECULATOR_DEFINITIONS } from '../../src/speculators/registry.js';
import { POLICY_KINDS } from '../../src/tree/policies.js';

describe('docs/options.md: the options table rendered from the definitions', () => {
  it('is current (regenerate with `npm run docs:options`, or `npm run build`)', () => {
    expect(readFileSync(optionsDocPath(), 'utf8')).to.equal(optionsDocText());
  });

  it('has a section per speculator kind and tree policy, and a row with default and description per option', () => {
    const text = optionsDocText();
    for (const kind of [...SPECULATOR_DEFINITIONS.map((d) => d.kind), ...POLICY_KINDS]) expect(text).to.include(`### \`${kind}\`\n`);
    expect(text).to.include('| `maxBranches` | `4` | Distinct continuations per row at most (branches). |');
    expect(text).to.include('| `weights` | (none) |');
    expect(text).to.include('| `expansion` | `[1,1,3,1,1,1,1,1]` |');
  });
});
