import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { normalizeText, parseLlamaBenchJson, parseSpecTypes, parseSpeculativeLog, tokensInAgreement } from '../../src/bench/peer-native-parse.js';

const FIXTURE = new URL('../../../test/fixtures/peer-native/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURE), 'utf8');

describe('bench/peer-native-parse', () => {
  describe('parseLlamaBenchJson', () => {
    it('reads threads, token counts and tokens/s of each test', () => {
      const rows = parseLlamaBenchJson(fixture('llama-bench.json'));
      expect(rows.map((r) => r.threads)).to.deep.equal([1, 2]);
      expect(rows[0]).to.deep.include({ nPrompt: 0, nGen: 64, type: 'llama ?B all F32' });
      expect(rows[0].samplesTokS).to.deep.equal([52.1, 54.3, 53]);
      expect(rows[1].avgTokS).to.be.closeTo((90.2 + 91.7 + 88.9) / 3, 1e-6);
    });
    it('rejects output that is not JSON', () => {
      expect(() => parseLlamaBenchJson('| model | size |')).to.throw(/llama-bench output is not JSON/);
    });
    it('rejects a JSON object', () => {
      expect(() => parseLlamaBenchJson('{}')).to.throw('llama-bench output is not a JSON array');
    });
    it('names a missing field and its row', () => {
      expect(() => parseLlamaBenchJson('[{"n_threads": 1, "n_prompt": 0, "n_gen": 64, "samples_ts": [1], "model_type": "x"}]')).to.throw(
        "llama-bench row 0: field 'avg_ts' is missing",
      );
    });
    it('names a field of the wrong type', () => {
      expect(() => parseLlamaBenchJson('[{"n_threads": 1, "n_prompt": 0, "n_gen": 64, "avg_ts": 5, "samples_ts": ["5"], "model_type": "x"}]')).to.throw(
        "llama-bench row 0: field 'samples_ts' is missing or has the wrong type",
      );
    });
  });

  describe('parseSpeculativeLog', () => {
    it('reads decoded tokens, seconds, speed, drafted and accepted from the captured log', () => {
      expect(parseSpeculativeLog(fixture('speculative-simple.stderr.txt'))).to.deep.equal({ decoded: 20, seconds: 7.753, tokS: 2.58, drafted: 16, accepted: 16 });
    });
    it('names the missing line', () => {
      expect(() => parseSpeculativeLog('encoded 13 tokens\nn_drafted = 1\n')).to.throw("no 'decoded N tokens' line");
      expect(() => parseSpeculativeLog('decoded   20 tokens in    7.753 seconds, speed:    2.580 t/s\n')).to.throw("no 'n_drafted' line");
    });
  });

  describe('parseSpecTypes', () => {
    it('lists the types of the --spec-type line of --help', () => {
      const types = parseSpecTypes(fixture('speculative-simple.help.txt'));
      expect(types).to.have.length(11);
      expect(types).to.include.members(['draft-simple', 'ngram-simple', 'ngram-mod']);
      expect(types[0]).to.equal('none');
    });
    it('reads the bracketed | form too', () => {
      expect(parseSpecTypes('--spec-type [none|ngram-cache]   the type')).to.deep.equal(['none', 'ngram-cache']);
    });
    it('is empty for a program without speculative types', () => {
      expect(parseSpecTypes('-m, --model FNAME  model path')).to.deep.equal([]);
    });
  });

  describe('tokensInAgreement', () => {
    const stdout = fixture('speculative-simple.stdout.txt');
    const prompt = 'Once upon a time, there was a little girl';
    it('counts all our tokens when the native text continues the prompt with them', () => {
      expect(tokensInAgreement(stdout, prompt, [' named', ' L', 'ily', '.', ' She'])).to.equal(5);
    });
    it('counts up to the first piece that differs', () => {
      expect(tokensInAgreement(stdout, prompt, [' named', ' L', 'ucy', '.'])).to.equal(2);
    });
    it('is 0 when the native output does not contain the prompt', () => {
      expect(tokensInAgreement(stdout, 'Once upon a time, there was a dog', [' named'])).to.equal(0);
    });
    it('ignores whitespace and <s>', () => {
      expect(normalizeText('<s> Once upon\n a </s>')).to.equal('Onceupona');
    });
  });
});
