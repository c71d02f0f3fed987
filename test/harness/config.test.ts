import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigFileError, formatIssue } from '../../src/harness/config-source.js';
import { cellSeeds } from '../../src/harness/experiment.js';
import { loadExperiment, type Experiment, type LoadOptions } from '../../src/harness/load.js';
import { editDistance, suggestion } from '../../src/harness/issues.js';
import { writeHfFolder } from '../../src/model/formats/hf-writer.js';
import { byteLevelVocab } from '../../src/model/formats/llama2c-tokenizer.js';
import { randomWeights, TINY_RANDOM_CONFIG } from '../../src/model/random.js';
import { useTestModelsDir } from '../support/models-dir.js';

const FILE = 'exp.yaml';

/** A valid file; `extra` lines are appended (line numbers: base is 4 lines). */
function yaml(...extra: string[]): string {
  return ['target: stories260K', 'speculator: {kind: draft-model, models: [stories260K-ssm-m]}', 'workload: story-openings', 'seeds: [1]', ...extra].join('\n') + '\n';
}

/** The problems of a file, formatted `file:line: path: problem`; [] when it loads. */
function problems(text: string, opts: Omit<LoadOptions, 'text'> = {}): string[] {
  try {
    loadExperiment(FILE, { ...opts, text });
    return [];
  } catch (e) {
    if (e instanceof ConfigFileError) return e.issues.map(formatIssue);
    throw e;
  }
}

function load(text: string): Experiment {
  return loadExperiment(FILE, { text });
}

describe('experiment files: validation errors name the file, the line and the key path', () => {
  before(() => useTestModelsDir());

  it('a valid file loads: one cell and the baseline', () => {
    const exp = load(yaml());
    expect(exp.cells.map((c) => c.info.id)).to.deep.equal(['baseline-stories260K', 'c000']);
    expect(exp.name).to.equal('exp');
  });

  it('without seeds: sampled cells run 4 seeds, greedy cells 1, and their baseline every seed of the cells it serves', () => {
    const text = yaml().replace('seeds: [1]\n', 'sweep:\n  verifier.kind,sampling.temperature: [[greedy, 0], [mss, 1]]\n');
    const exp = load(text);
    expect(exp.cells.map((c) => [c.info.id, cellSeeds(c.config)])).to.deep.equal([
      ['baseline-stories260K', [0, 1, 2, 3]],
      ['c000', [0]],
      ['c001', [0, 1, 2, 3]],
    ]);
    expect(cellSeeds(load(yaml()).cells[1].config), 'seeds given are kept').to.deep.equal([1]);
  });

  it('unknown keys, with a "did you mean" from the keys allowed at that place', () => {
    expect(problems(yaml('maxToken: 5'))).to.deep.equal([`${FILE}:5: maxToken: unknown key 'maxToken' (did you mean 'maxTokens'?)`]);
    expect(problems(yaml('policy:', '  kind: static', '  expanson: [1, 2]'))).to.deep.equal([`${FILE}:7: policy.expanson: unknown key 'expanson' (did you mean 'expansion'?)`]);
    const text = ['target: stories260K', 'speculator:', '  kind: ngram', '  maxn: 3', 'workload: story-openings', 'seeds: [1]'].join('\n');
    expect(problems(text)).to.deep.equal([`${FILE}:4: speculator.maxn: unknown key 'maxn' (did you mean 'maxN'?)`]);
  });

  it('an option of another kind is unknown to this one (each kind takes its own options)', () => {
    const text = ['target: stories260K', 'speculator:', '  kind: suffix', '  maxN: 3', 'workload: story-openings', 'seeds: [1]'].join('\n');
    expect(problems(text)[0]).to.match(/^exp\.yaml:4: speculator\.maxN: unknown key 'maxN'/);
  });

  it('unknown kinds and enum values, with a suggestion', () => {
    expect(problems(yaml().replace('draft-model', 'draft-modle'))).to.deep.equal([
      `${FILE}:2: speculator.kind: unknown kind 'draft-modle'; expected one of none, draft-model, gsd, layer-skip, ngram, suffix, retrieval, recycle, hybrid (did you mean 'draft-model'?)`,
    ]);
    expect(problems(yaml('verifier: {kind: msss}'))).to.deep.equal([`${FILE}:5: verifier.kind: 'msss' is not one of greedy, mss, ns, rsd, sequence (did you mean 'mss'?)`]);
  });

  it('wrong types', () => {
    expect(problems(yaml('maxTokens: many'))).to.deep.equal([`${FILE}:5: maxTokens: expected a number, got 'many'`]);
    expect(problems(yaml().replace('seeds: [1]', 'seeds: 1'))).to.deep.equal([`${FILE}:4: seeds: expected a list, got 1`]);
    expect(problems(yaml('batchSize: 1.5'))).to.deep.equal([`${FILE}:5: batchSize: expected an integer, got 1.5`]);
    expect(problems(yaml('speculator: 3').replace(/^speculator: \{.*\n/m, ''))).to.deep.equal([`${FILE}:4: speculator: expected a mapping or a list, got 3`]);
  });

  it('missing required keys', () => {
    expect(problems(yaml().replace('workload: story-openings\n', ''))).to.deep.equal([`${FILE}:1: workload: expected a string or a list, got nothing`]);
    expect(problems(yaml('policy: {expansion: [1, 2]}'))).to.deep.equal([`${FILE}:5: policy.kind: missing (required: one of static, chain, dynamic, p-split, sequoia)`]);
  });

  it('out-of-range values', () => {
    expect(problems(yaml('sampling:', '  temperature: 0', '  topP: 1.5'))).to.deep.equal([`${FILE}:7: sampling.topP: must be <= 1, got 1.5`]);
    expect(problems(yaml('batchSize: 0'))).to.deep.equal([`${FILE}:5: batchSize: must be >= 1, got 0`]);
    expect(problems(yaml('policy: {kind: static, expansion: [1, 0, 2]}'))).to.deep.equal([`${FILE}:5: policy.expansion[1]: must be >= 1, got 0`]);
    expect(problems(yaml('policy: {kind: sequoia, acceptance: [0.7, 0.5]}'))).to.deep.equal([`${FILE}:5: policy.acceptance: per-rank acceptance probabilities must sum to <= 1`]);
    const ngram = ['target: stories260K', 'speculator: {kind: ngram, minN: 5, maxN: 2}', 'workload: story-openings', 'seeds: [1]'].join('\n');
    expect(problems(ngram)).to.deep.equal([`${FILE}:2: speculator.minN: minN must be <= maxN`]);
    const gsd = (options: string) => ['target: stories260K', `speculator: {kind: gsd${options}}`, 'workload: story-openings', 'seeds: [1]'].join('\n');
    expect(problems(gsd(', models: [stories260K-ssm-m], context: 0'))).to.deep.equal([`${FILE}:2: speculator.context: must be >= 1, got 0`]);
    expect(problems(gsd(''))).to.deep.equal([`${FILE}:2: speculator.models: speculator 'gsd' needs at least one draft model in \`models\``]);
    expect(problems(gsd(', models: [random:tiny]'))[0]).to.match(/^exp\.yaml:2: speculator\.models\[0\]: draft random:tiny:0 \(random:tiny\) has a vocabulary of 300 tokens/);
  });

  it('a missing model file, with the same help as the command line', () => {
    const [target] = problems(yaml().replace('target: stories260K', 'target: no-such-model'));
    expect(target).to.match(/^exp\.yaml:1: target: .*no-such-model.*model "no-such-model" not found: searched the models folder .* \(from SPECINFER_MODELS\)/);
    expect(target).to.include('models there: stories260K');
    const [draft] = problems(yaml().replace('[stories260K-ssm-m]', '[./nowhere/ssm.bin]'));
    expect(draft).to.match(/^exp\.yaml:2: speculator\.models\[0\]: .*nowhere\/ssm\.bin: no such file or folder/);
  });

  it('a draft whose vocabulary differs from the target (random model and a Hugging Face folder, headers only)', () => {
    expect(problems(yaml().replace('[stories260K-ssm-m]', '[random:tiny]'))).to.deep.equal([
      `${FILE}:2: speculator.models[0]: draft random:tiny:0 (random:tiny) has a vocabulary of 300 tokens but the target stories260K has 512; a draft model must share the target's tokenizer`,
    ]);
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'specinfer-vocab-')), 'tiny-hf');
    writeHfFolder(dir, randomWeights(TINY_RANDOM_CONFIG, 1), byteLevelVocab(300));
    const text = [
      'target: stories260K',
      'speculator:',
      '  kind: draft-model',
      '  models:',
      '    - stories260K-ssm-m',
      `    - ${dir}`,
      'workload: story-openings',
      'seeds: [1]',
    ].join('\n');
    expect(problems(text)).to.deep.equal([
      `${FILE}:6: speculator.models[1]: draft tiny-hf (${dir}) has a vocabulary of 300 tokens but the target stories260K has 512; a draft model must share the target's tokenizer`,
    ]);
  });

  it('layer-skip deeper than the target (its layer count read from the header)', () => {
    const text = ['target: stories260K', 'speculator: {kind: layer-skip, layers: 9}', 'workload: story-openings', 'seeds: [1]'].join('\n');
    expect(problems(text)).to.deep.equal([`${FILE}:2: speculator.layers: layer-skip: layers must be an integer in 1..5 (the target stories260K has 5 layers), got 9`]);
  });

  it('an inexact verifier for the tree kind is an error, unless allowLossy: true (then a warning of the run)', () => {
    const lossy = yaml('verifier: {kind: greedy}', 'sampling: {temperature: 1}');
    expect(problems(lossy)).to.deep.equal([
      `${FILE}:5: verifier.kind: verifier 'greedy' is not exact for trees with sampled children at temperature 1 (greedy needs temperature 0); pick another verifier, or set allowLossy: true to run it anyway`,
    ]);
    const seq = yaml('verifier: {kind: sequence}', 'sampling: {temperature: 1}');
    expect(problems(seq)[0]).to.match(/^exp\.yaml:5: verifier\.kind: verifier 'sequence' is not exact for trees/);
    const exp = load(lossy + 'allowLossy: true\n');
    expect(exp.warnings).to.have.length(1);
    expect(exp.warnings[0]).to.match(/^exp\.yaml:5: verifier\.kind: verifier 'greedy' is not exact .* \(allowed by allowLossy: the run is not exact\)$/);
    expect(exp.cells.find((c) => c.info.id === 'c000')?.lossy).to.match(/not exact/);
  });

  it('a missing workload', () => {
    expect(problems(yaml().replace('workload: story-openings', 'workload: [story-openings, no-such-set]'))[0]).to.match(
      /^exp\.yaml:3: workload\[1\]: workload 'no-such-set' not found/,
    );
  });

  it('an unknown workload name: a "did you mean" and the known names', () => {
    const known = 'known workloads: dialogue, instructions, repetitive, retell, story-openings \\(in .*\\), or give a \\.jsonl path';
    expect(problems(yaml().replace('workload: story-openings', 'workload: story-opening'))).to.have.length(1);
    expect(problems(yaml().replace('workload: story-openings', 'workload: story-opening'))[0]).to.match(
      new RegExp(`^exp\\.yaml:3: workload: workload 'story-opening' not found \\(did you mean 'story-openings'\\?\\); ${known}$`),
    );
    expect(problems(yaml().replace('workload: story-openings', 'workload: zzz'))[0]).to.match(new RegExp(`^exp\\.yaml:3: workload: workload 'zzz' not found; ${known}$`));
  });

  it('YAML syntax errors and duplicate keys carry their line', () => {
    expect(problems(yaml('sampling:', '  temperature: 1', ' topK: 2'))[0]).to.match(/^exp\.yaml:7: YAML: /);
    expect(problems(yaml('seeds: [2]'))[0]).to.match(/^exp\.yaml:5: YAML: Map keys must be unique/);
  });

  it('YAML errors at the end of the file name the line of the unclosed quote or bracket, not the line after', () => {
    expect(problems(yaml("name: 'unclosed"))).to.deep.equal([`${FILE}:5: YAML: Missing closing 'quote`]);
    expect(problems(yaml('name: "unclosed', '', ''))).to.deep.equal([`${FILE}:5: YAML: Missing closing "quote`]);
    expect(problems(yaml('maxTokens: [1, 2'))[0]).to.match(/^exp\.yaml:5: YAML: Flow sequence in block collection must be sufficiently indented and end with a \]/);
    expect(problems(yaml('policy: {kind: static'))[0]).to.match(/^exp\.yaml:5: YAML: Flow map in block collection/);
  });

  it('every problem of a file at once, in line order', () => {
    const got = problems(yaml('maxTokenz: 5', 'batchSize: 0', 'verifier: {kind: nss}'));
    expect(got.map((p) => p.split(':')[1])).to.deep.equal(['5', '6', '7']);
  });

  it('replay rejects speculators that learn from target logits (token recycling), and sampling', () => {
    const text = ['target: stories260K', 'speculator: [{kind: suffix}, {kind: recycle}]', 'workload: story-openings', 'seeds: [1]'].join('\n');
    expect(problems(text)).to.deep.equal([]);
    expect(problems(text, { replay: true })).to.deep.equal([
      `${FILE}:2: speculator: speculator 'recycle' learns from the target's logits at every step, which a trace does not hold, so it cannot be replayed; run it with \`specinfer run\``,
    ]);
  });

  it('topk-agreement needs one draft model', () => {
    const text = ['target: stories260K', 'speculator: {kind: suffix}', 'workload: story-openings', 'seeds: [1]', 'measure: {kind: topk-agreement}'].join('\n');
    expect(problems(text)[0]).to.match(/^exp\.yaml:2: speculator: measure topk-agreement compares one draft model/);
  });

  it('did-you-mean: edit distance with transpositions; a list of the allowed words when none is close', () => {
    expect(editDistance('expanson', 'expansion')).to.equal(1);
    expect(editDistance('maxnodes', 'maxNodes')).to.equal(1);
    expect(editDistance('tpoK', 'topK')).to.equal(1);
    expect(suggestion('zzzz', ['a', 'b'])).to.equal(' (allowed: a, b)');
  });
});
