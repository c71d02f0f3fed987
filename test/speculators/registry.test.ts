import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors.js';
import type { Model } from '../../src/core/model.js';
import {
  createSpeculator,
  defaultPolicy,
  resolvePolicy,
  SPECULATOR_DEFAULTS,
  SPECULATOR_KINDS,
  speculatorConfig,
  type SpeculatorConfig,
  type SpeculatorDeps,
} from '../../src/speculators/registry.js';
import { createPolicy, policyConfig } from '../../src/tree/policies.js';
import { GREEDY } from '../../src/sampling/params.js';

/** Deps without models: enough for the model-free kinds. */
function deps(cfg: SpeculatorConfig): SpeculatorDeps {
  const d: SpeculatorDeps = {
    policy: createPolicy(resolvePolicy(cfg, undefined)),
    vocabSize: 16,
    encode: (text) => Int32Array.from(text, (ch) => ch.charCodeAt(0) % 16),
    draftModels: async (): Promise<Model[]> => {
      throw new Error('no models here');
    },
    layerSkipModel: async (): Promise<Model> => {
      throw new Error('no models here');
    },
    build: (c) => createSpeculator(c, deps(c)),
  };
  return d;
}

describe('speculator registry', () => {
  it('complete defaults for every kind; speculatorConfig fills them and ignores undefined', () => {
    for (const kind of SPECULATOR_KINDS) expect(speculatorConfig(kind)).to.deep.equal(SPECULATOR_DEFAULTS[kind]);
    expect(speculatorConfig('ngram', { maxN: 6, minN: undefined })).to.deep.equal({ ...SPECULATOR_DEFAULTS.ngram, maxN: 6 });
  });

  it('builds the model-free kinds and a hybrid of them, with their kind and deterministic children', async () => {
    for (const kind of ['none', 'ngram', 'suffix', 'retrieval', 'recycle'] as const) {
      const cfg = speculatorConfig(kind);
      const s = await createSpeculator(cfg, deps(cfg));
      expect(s.kind).to.equal(kind);
      expect(s.treeTraits(GREEDY).children).to.equal(kind === 'none' ? 'none' : 'deterministic');
    }
    const hybrid = speculatorConfig('hybrid', { parts: [speculatorConfig('ngram'), speculatorConfig('suffix')] });
    expect((await createSpeculator(hybrid, deps(hybrid))).treeTraits(GREEDY)).to.deep.equal({ children: 'deterministic', chain: false });
  });

  it('default policies: ngram <maxBranches, 1 x (maxTokens - 1)>, suffix and retrieval best-first, models static <1,1,3,1,1,1,1,1>', () => {
    expect(defaultPolicy(speculatorConfig('ngram', { maxBranches: 3, maxTokens: 4 }))).to.deep.equal(policyConfig('static', { expansion: [3, 1, 1, 1] }));
    expect(defaultPolicy(speculatorConfig('suffix', { maxDepth: 16 }))).to.deep.include({ kind: 'dynamic', depth: 16, beam: 0 });
    expect(defaultPolicy(speculatorConfig('retrieval', { maxDepth: 12 }))).to.deep.include({ kind: 'dynamic', depth: 12, beam: 0 });
    expect(defaultPolicy(speculatorConfig('draft-model'))).to.deep.equal(policyConfig('static'));
  });

  it("policy precedence: the speculator's own, then the run's, then the kind's default", () => {
    const chain = policyConfig('chain', { depth: 3 });
    const dyn = policyConfig('dynamic');
    expect(resolvePolicy({ ...speculatorConfig('ngram'), policy: chain }, dyn)).to.equal(chain);
    expect(resolvePolicy(speculatorConfig('ngram'), dyn)).to.equal(dyn);
    expect(resolvePolicy(speculatorConfig('ngram'), undefined).kind).to.equal('static');
  });

  it('bad options are ConfigErrors naming the speculator and the option', async () => {
    const bad: SpeculatorConfig[] = [
      speculatorConfig('ngram', { minN: 3, maxN: 2 }),
      speculatorConfig('ngram', { maxTokens: 0 }),
      speculatorConfig('suffix', { maxDepth: 0 }),
      speculatorConfig('suffix', { minTokenProb: 2 }),
      speculatorConfig('retrieval', { maxDepth: 0 }),
      speculatorConfig('retrieval', { maxSpecFactor: -1 }),
      speculatorConfig('recycle', { k: 0 }),
      speculatorConfig('hybrid', { parts: [] }),
      speculatorConfig('draft-model', { models: [] }),
      speculatorConfig('gsd', { models: [] }),
    ];
    for (const cfg of bad) {
      let err: unknown = null;
      try {
        await createSpeculator(cfg, deps(cfg));
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(cfg)).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.include(`'${cfg.kind}'`);
    }
  });
});
