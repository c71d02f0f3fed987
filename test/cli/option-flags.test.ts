import { expect } from 'chai';
import { specFromArgs } from '../../src/cli/generate.js';
import { flagNumberKinds } from '../../src/cli/option-flags.js';
import { optionFlags } from '../../src/harness/option-flags.js';
import { speculatorConfig } from '../../src/speculators/registry.js';
import { policyConfig } from '../../src/tree/policies.js';

/** generate's arguments as yargs gives them: the fixed flags at their defaults, then `flags` (generated ones by their kebab-case names). */
function args(flags: Record<string, unknown>): Parameters<typeof specFromArgs>[0] {
  const fixed = { target: 'stories260K', prompt: '', maxTokens: 8, greedy: false, speculator: [], reference: [], maxNodes: 64, topK: 0, topP: 1, seed: 0, batchSize: 1 };
  return { ...fixed, allowLossy: false, threads: 1, executionProvider: ['cpu'], graph: 'fused', set: [], ...flags };
}

function problem(flags: Record<string, unknown>): string {
  try {
    specFromArgs(args(flags));
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('generate: speculator and tree policy flags generated from the definitions', () => {
  it("keeps today's flag names, and names the others --KIND-OPTION (a policy option several kinds share: --OPTION)", () => {
    const names = optionFlags().map((f) => f.flag);
    const today = ['draft', 'draft-weights', 'gsd-context', 'draft-layers', 'ngram-min-n', 'ngram-max-n', 'ngram-max-tokens', 'ngram-branches', 'suffix-max-depth'];
    const today2 = ['suffix-spec-factor', 'suffix-min-prob', 'retrieval-corpus', 'retrieval-max-depth', 'recycle-k', 'hybrid', 'hybrid-min-match', 'expansion', 'depth'];
    const today3 = ['dynamic-top-k', 'dynamic-beam', 'dynamic-search', 'p-split', 'sequoia-acceptance'];
    expect(names).to.include.members([...today, ...today2, ...today3, 'ngram-rank', 'dynamic-min-prob', 'p-split-max-branches', 'children']);
    expect(names).not.to.include.members(['speculator-policy', 'hybrid-parts', 'sequoia-hardware']);
    const depth = optionFlags().find((f) => f.flag === 'depth');
    expect(depth?.targets.map((t) => t.kind)).to.deep.equal(['chain', 'dynamic', 'p-split', 'sequoia']);
    expect(depth?.description).to.equal('chain, dynamic, p-split, sequoia: their option `depth` (docs/options.md) (default chain 8, dynamic 8, p-split 8, sequoia 10)');
  });

  it('number checks come from the schemas bounds', () => {
    expect(flagNumberKinds()).to.include({ 'ngram-min-n': 'positive-int', 'dynamic-beam': 'count', 'p-split': 'fraction', 'suffix-spec-factor': 'non-negative' });
  });

  it('reads the given flags into the kinds chosen: speculator options, a policy by --policy or by its own flags, shared flags on the default policy', () => {
    const a = specFromArgs(args({ speculator: ['ngram'], 'ngram-max-n': 6, 'ngram-rank': 'frequent', policy: 'chain', depth: 3 }));
    expect(a.speculator).to.deep.equal(speculatorConfig('ngram', { maxN: 6, rank: 'frequent' }));
    expect(a.policy).to.deep.equal(policyConfig('chain', { depth: 3 }));
    expect(specFromArgs(args({ speculator: ['ngram'], expansion: '2,1' })).policy).to.deep.equal(policyConfig('static', { expansion: [2, 1] }));
    expect(specFromArgs(args({ speculator: ['suffix'], depth: 5 })).policy).to.deep.equal(policyConfig('dynamic', { depth: 5, topK: 8, beam: 0, minProb: 0 }));
    expect(specFromArgs(args({ speculator: ['ngram'] })).policy).to.equal(undefined);
    const hybrid = specFromArgs(args({ speculator: ['suffix', 'draft-model'], draft: ['stories260K-ssm-m'], hybrid: 'switch', 'hybrid-min-match': 2 })).speculator;
    expect(hybrid).to.deep.equal(
      speculatorConfig('hybrid', { mode: 'switch', minMatch: 2, parts: [speculatorConfig('suffix'), speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] })] }),
    );
  });

  it('bad input: each with its message, naming the flag', () => {
    expect(problem({ speculator: ['draft-model'] })).to.equal("--speculator draft-model needs --draft (speculator 'draft-model' needs at least one draft model in `models`)");
    expect(problem({ speculator: ['ngram'], 'ngram-min-n': 5 })).to.equal('--ngram-min-n: minN must be <= maxN');
    expect(problem({ expansion: '1,x' })).to.equal("--expansion must be a list like 1,1,3,1,1,1,1,1, got '1,x'");
    expect(problem({ expansion: '0,1' })).to.equal('--expansion: must be >= 1, got 0');
    expect(problem({ expansion: '2', 'p-split': 0.3 })).to.equal('flags of several tree policies are given (--expansion: static, --p-split: p-split); choose one with --policy');
    expect(problem({ speculator: ['ngram'], depth: 3 })).to.equal(
      '--depth sets an option of chain, dynamic, p-split, sequoia, but the tree policy is static; choose the tree policy with --policy',
    );
    expect(problem({ speculator: ['ngram'], draft: ['x'] })).to.equal(
      '--draft sets an option of draft-model, gsd, but the speculator is ngram; choose the speculators with --speculator (repeat it for a hybrid)',
    );
  });
});
