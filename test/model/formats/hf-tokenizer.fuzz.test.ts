import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readHfConfig } from '../../../src/model/formats/hf.js';
import { loadHfTokenizer } from '../../../src/model/formats/hf-tokenizer.js';
import { vocabFromHfFolder } from '../../../src/model/formats/hf-vocab.js';
import { writeHfFolder } from '../../../src/model/formats/hf-writer.js';
import { byteLevelVocab } from '../../../src/model/formats/llama2c-tokenizer.js';
import { randomWeights, TINY_RANDOM_CONFIG } from '../../../src/model/random.js';
import { expectCleanFailure, fuzzParams, loadsOrFailsCleanly, mutate, mutations, TempDir } from '../../support/fuzz.js';

const VOCAB = TINY_RANDOM_CONFIG.vocabSize;

describe('Hugging Face config.json and tokenizer.json readers: malformed files fail cleanly (fuzz)', () => {
  const tmp = new TempDir();
  let tokenizerJson: Buffer;
  let configJson: Buffer;
  const tokFile = (): string => path.join(tmp.dir, 'tokenizer.json');
  const cfgFile = (): string => path.join(tmp.dir, 'config.json');
  const loadTok = (): unknown => loadHfTokenizer(tmp.dir, VOCAB);

  before(() => {
    writeHfFolder(tmp.dir, randomWeights(TINY_RANDOM_CONFIG, 2), byteLevelVocab(VOCAB));
    tokenizerJson = readFileSync(tokFile());
    configJson = readFileSync(cfgFile());
  });
  after(() => tmp.remove());

  it('byte mutations of tokenizer.json and config.json', () => {
    fc.assert(
      fc.property(mutations(tokenizerJson.length), mutations(configJson.length), (mt, mc) => {
        tmp.write('tokenizer.json', mutate(tokenizerJson, mt));
        tmp.write('config.json', mutate(configJson, mc));
        loadsOrFailsCleanly(tokFile(), loadTok);
        loadsOrFailsCleanly(cfgFile(), () => readHfConfig(cfgFile()));
      }),
      fuzzParams(0x4f00, 60),
    );
  });

  it('hostile values in the parts of tokenizer.json and config.json that we read', () => {
    const base = JSON.parse(tokenizerJson.toString()) as Record<string, unknown>;
    const cfg = JSON.parse(configJson.toString()) as Record<string, unknown>;
    const hostile = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(2 ** 40, -1, 1.5, null, [[]], { content: 5 }, [null]));
    fc.assert(
      fc.property(fc.constantFrom('vocab', 'added_tokens', 'decoder', 'model'), hostile, fc.constantFrom(...Object.keys(cfg)), hostile, (tk, tv, ck, cv) => {
        const tj = tk === 'vocab' ? { ...base, model: { ...(base.model as object), vocab: tv } } : { ...base, [tk]: tv };
        tmp.write('tokenizer.json', JSON.stringify(tj));
        tmp.write('config.json', JSON.stringify({ ...cfg, [ck]: cv }));
        loadsOrFailsCleanly(tokFile(), loadTok);
        loadsOrFailsCleanly(cfgFile(), () => readHfConfig(cfgFile()));
      }),
      fuzzParams(0x4f01, 80),
    );
  });

  it('the export vocabulary (vocabFromHfFolder): byte mutations and hostile values fail cleanly', () => {
    const base = JSON.parse(tokenizerJson.toString()) as Record<string, unknown>;
    const model = base.model as Record<string, unknown>;
    const loadVocab = (): unknown => vocabFromHfFolder(tmp.dir, VOCAB);
    fc.assert(
      fc.property(mutations(tokenizerJson.length), (mt) => {
        tmp.write('tokenizer.json', mutate(tokenizerJson, mt));
        loadsOrFailsCleanly(tokFile(), loadVocab);
      }),
      fuzzParams(0x4f02, 60),
    );
    const hostile = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(2 ** 40, -1, 1.5, null, [[]], [[1, 'a']], { content: 5 }, [null], [7], [['a']]));
    fc.assert(
      fc.property(fc.constantFrom('vocab', 'merges', 'type', 'unk_token', 'added_tokens', 'model'), hostile, (key, value) => {
        const tj = key === 'added_tokens' || key === 'model' ? { ...base, [key]: value } : { ...base, model: { ...model, [key]: value } };
        tmp.write('tokenizer.json', JSON.stringify(tj));
        tmp.write('tokenizer_config.json', JSON.stringify({ bos_token: value }));
        loadsOrFailsCleanly(tokFile(), loadVocab);
      }),
      fuzzParams(0x4f03, 150),
    );
    tmp.write('tokenizer_config.json', '{}');
  });

  it('a token id of 2^40 fails at once, without building a 2^40-long table', () => {
    const tj = JSON.parse(tokenizerJson.toString()) as { model: { vocab: Record<string, number> } };
    tj.model.vocab['<0x41>'] = 2 ** 40;
    tmp.write('tokenizer.json', JSON.stringify(tj));
    expectCleanFailure(tokFile(), loadTok, /piece "<0x41>" has id 1099511627776, not a token id in \[0, \d+\)/);
    tmp.write('tokenizer.json', JSON.stringify({ ...tj, added_tokens: [null] }));
    expectCleanFailure(tokFile(), loadTok, /added_tokens\[0\] is not an object with a string "content"/);
  });

  it('a config.json value nested too deep to print', () => {
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    tmp.write('config.json', `{"model_type": "llama", "rope_scaling": ${deep}}`);
    expectCleanFailure(cfgFile(), () => readHfConfig(cfgFile()), /rope_scaling \[\.\.\.\] is not supported/);
  });
});
