import { expect } from 'chai';
import type { Model } from '../../src/core/model.js';
import type { EngineModel } from '../../src/engine/model.js';
import { loadModel } from '../../src/model/models.js';
import { summarize } from '../../src/report/metrics.js';
import { DraftModelSpeculator } from '../../src/speculators/draft-model.js';
import type { Speculator } from '../../src/speculators/types.js';
import { createPolicy, policyConfig } from '../../src/tree/policies.js';
import { StaticExpansionPolicy } from '../../src/tree/static-expansion.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';
import { decodeGreedy, firstDivergence, incrementalOutputs, NEW_TOKENS } from '../support/conformance.js';

/** Which speculator x tree policy combinations must reproduce incremental greedy decoding. */
const COMBINATIONS: readonly { name: string; drafts: string[]; expansion: number[] }[] = [
  { name: 'SSM expansion <1,1,3,1,1,1,1,1> (ssm-s)', drafts: ['stories260K-ssm-s'], expansion: [1, 1, 3, 1, 1, 1, 1, 1] },
  { name: 'SSM expansion <2,2,1> (ssm-m)', drafts: ['stories260K-ssm-m'], expansion: [2, 2, 1] },
  { name: 'SSM expansion <4,2,2,1,1> (ssm-m)', drafts: ['stories260K-ssm-m'], expansion: [4, 2, 2, 1, 1] },
  { name: 'chain of 6 (sequence-based, ssm-m)', drafts: ['stories260K-ssm-m'], expansion: [1, 1, 1, 1, 1, 1] },
  { name: 'merge of 2 SSMs <1,1,3,1,1,1,1,1>', drafts: ['stories260K-ssm-s', 'stories260K-ssm-s-boost'], expansion: [1, 1, 3, 1, 1, 1, 1, 1] },
  { name: 'merge of 3 SSMs <1,2,1,1>', drafts: ['stories260K-ssm-s', 'stories260K-ssm-m', 'stories260K-ssm-s-boost'], expansion: [1, 2, 1, 1] },
];

describe('conformance: greedy speculative decoding equals greedy incremental decoding', function () {
  let target: EngineModel;
  let prompts: Int32Array[];
  let expected: Int32Array[];
  before(async () => {
    useTestModelsDir();
    target = await engineModel('stories260K');
    prompts = encodeAll((await loadModel('stories260K')).tokenizer, CONFORMANCE_PROMPTS);
    expected = await incrementalOutputs(target, prompts);
  });
  after(async () => target.dispose());

  for (const combo of COMBINATIONS) {
    for (const batchSize of [1, 4]) {
      it(`${combo.name}, batch size ${batchSize}: ${CONFORMANCE_PROMPTS.length} prompts x ${NEW_TOKENS} tokens`, async () => {
        const drafts: Model[] = await Promise.all(combo.drafts.map((r) => engineModel(r)));
        const speculator: Speculator = new DraftModelSpeculator(drafts, new StaticExpansionPolicy({ expansion: combo.expansion }));
        const { outputs, records } = await decodeGreedy(target, speculator, prompts, batchSize);
        outputs.forEach((o, i) => expect(firstDivergence(o, expected[i]), `prompt ${i}`).to.equal(null));
        expect(records.every((r) => r.treeSize <= 64)).to.equal(true);
        expect(summarize(records).tokensPerStep, 'speculation took place').to.be.above(1.2);
        await speculator.dispose();
      });
    }
  }

  it(`rsd at temperature 0 (point masses) with a dynamic policy built for rsd: ${CONFORMANCE_PROMPTS.length} prompts x ${NEW_TOKENS} tokens`, async () => {
    const policy = createPolicy(policyConfig('dynamic'), { withoutReplacement: true });
    const speculator = new DraftModelSpeculator([await engineModel('stories260K-ssm-m')], policy);
    const { outputs } = await decodeGreedy(target, speculator, prompts, 1, 64, 'rsd');
    outputs.forEach((o, i) => expect(firstDivergence(o, expected[i]), `prompt ${i}`).to.equal(null));
    await speculator.dispose();
  });
});
