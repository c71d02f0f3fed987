import { expect } from 'chai';
import { createRng } from '../../src/core/rng.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import type { EngineModel } from '../../src/engine/model.js';
import { loadModel } from '../../src/model/models.js';
import { summarize } from '../../src/report/metrics.js';
import { DraftModelSpeculator } from '../../src/speculators/draft-model.js';
import { StaticExpansionPolicy } from '../../src/tree/static-expansion.js';
import { createVerifier, GREEDY } from '../../src/verifiers/index.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';

/** Greedy tokens/step over the conformance prompts for <1,1,k,1,1,1,1,1>. */
async function tokensPerStep(target: EngineModel, draftRef: string, k: number, prompts: Int32Array[]): Promise<number> {
  const draft = await engineModel(draftRef);
  const speculator = new DraftModelSpeculator([draft], new StaticExpansionPolicy({ expansion: [1, 1, k, 1, 1, 1, 1, 1] }));
  const requests = prompts.map((prompt, i) => ({ prompt, rng: createRng(i) }));
  const { records } = await decodeSpeculative(target, speculator, createVerifier('greedy'), requests, {
    maxTokens: 128,
    stopTokens: [1, 2],
    sampling: GREEDY,
    maxNodes: 64,
  });
  await speculator.dispose();
  return summarize(records).tokensPerStep;
}

describe('paper shape (SpecInfer Table 2): greedy tokens/step vs tree width, depth 8', () => {
  let target: EngineModel;
  let prompts: Int32Array[];
  before(async () => {
    useTestModelsDir();
    target = await engineModel('stories260K');
    prompts = encodeAll((await loadModel('stories260K')).tokenizer, CONFORMANCE_PROMPTS);
  });
  after(async () => target.dispose());

  for (const draft of ['stories260K-ssm-s', 'stories260K-ssm-m']) {
    it(`${draft}: non-decreasing in k = 1..5 (tolerance 0.02) and tree (k=3) beats chain (k=1)`, async () => {
      const perK: number[] = [];
      for (let k = 1; k <= 5; k++) perK.push(await tokensPerStep(target, draft, k, prompts));
      for (let k = 1; k < 5; k++) expect(perK[k], `k=${k + 1} vs k=${k}: [${perK.map((v) => v.toFixed(3)).join(',')}]`).to.be.at.least(perK[k - 1] - 0.02);
      expect(perK[2], `[${perK.map((v) => v.toFixed(3)).join(',')}]`).to.be.above(perK[0]);
    });
  }
});
