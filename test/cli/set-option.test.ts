import { expect } from 'chai';
import { applySets } from '../../src/cli/set-option.js';
import type { RunSpec } from '../../src/harness/components.js';
import { speculatorConfig, type SpeculatorConfig } from '../../src/speculators/registry.js';
import { policyConfig, type PolicyConfig } from '../../src/tree/policies.js';
import { GREEDY } from '../../src/verifiers/index.js';

function spec(speculator: SpeculatorConfig, policy?: PolicyConfig): RunSpec {
  return { target: 'stories260K', speculator, policy, verifier: { kind: 'greedy' }, sampling: GREEDY, maxNodes: 64, allowLossy: false, engine: {} };
}

function problem(sets: string[], base = spec(speculatorConfig('suffix'))): string {
  try {
    applySets(base, sets);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('generate --set: any speculator or policy option through the config schemas', () => {
  it('sets options of the speculator, parsing values as YAML; nothing set leaves the spec as it is', () => {
    const base = spec(speculatorConfig('ngram'));
    expect(applySets(base, [])).to.deep.equal(base);
    const got = applySets(base, ['speculator.maxN=6', 'speculator.rank=frequent', 'speculator.minN=2']).speculator;
    expect(got).to.deep.equal(speculatorConfig('ngram', { maxN: 6, minN: 2, rank: 'frequent' }));
  });

  it("a kind, wherever it stands among the sets, starts from that kind's defaults; then the others apply", () => {
    expect(applySets(spec(speculatorConfig('ngram')), ['speculator.maxDepth=4', 'speculator.kind=suffix']).speculator).to.deep.equal(speculatorConfig('suffix', { maxDepth: 4 }));
  });

  it("policy: the run's policy, else the speculator's default, changed; lists and a hybrid's parts by index", () => {
    expect(applySets(spec(speculatorConfig('suffix'), policyConfig('chain')), ['policy.depth=3']).policy).to.deep.equal(policyConfig('chain', { depth: 3 }));
    expect(applySets(spec(speculatorConfig('suffix', { maxDepth: 12 })), ['policy.topK=2']).policy).to.deep.equal(
      policyConfig('dynamic', { depth: 12, topK: 2, beam: 0, minProb: 0 }),
    );
    expect(applySets(spec(speculatorConfig('ngram')), ['policy.kind=static', 'policy.expansion=[2, 1]']).policy).to.deep.equal(policyConfig('static', { expansion: [2, 1] }));
    const hybrid = speculatorConfig('hybrid', { parts: [speculatorConfig('ngram'), speculatorConfig('suffix')] });
    const got = applySets(spec(hybrid), ['speculator.parts.1.maxDepth=5']).speculator;
    expect(got).to.deep.equal({ ...hybrid, parts: [speculatorConfig('ngram'), speculatorConfig('suffix', { maxDepth: 5 })] });
  });

  it('bad input: each with its message, in the --set KEY: problem style', () => {
    expect(problem(['speculator.maxDepth=0'])).to.equal('--set speculator.maxDepth: must be >= 1, got 0');
    expect(problem(['speculator.maxDepth=deep'])).to.equal("--set speculator.maxDepth: expected a number, got 'deep'");
    expect(problem(['speculator.maxDepht=4'])).to.equal("--set speculator.maxDepht: unknown key 'maxDepht' (did you mean 'maxDepth'?)");
    expect(problem(['speculator.kind=sufix'])).to.match(/^--set speculator\.kind: unknown kind 'sufix'; expected one of none, draft-model, .* \(did you mean 'suffix'\?\)$/);
    expect(problem(['policy.depth=0'])).to.equal('--set policy.depth: must be >= 1, got 0');
    expect(problem(['speculator.minN=5'], spec(speculatorConfig('ngram')))).to.equal('--set speculator.minN: minN must be <= maxN');
    expect(problem(['maxDepth=4'])).to.equal("--set maxDepth: unknown key 'maxDepth'; expected speculator or policy");
    expect(problem(['speculator.maxDepth'])).to.equal('--set speculator.maxDepth: expected KEY=VALUE, e.g. speculator.maxDepth=4');
    expect(problem(['speculator=4'])).to.equal('--set speculator: name an option, e.g. speculator.kind');
  });
});
