import { expect } from 'chai';
import { ConfigFileError, formatIssue } from '../../src/harness/config-source.js';
import { loadExperiment } from '../../src/harness/load.js';
import { label, valueText } from '../../src/harness/labels.js';
import { parseShard, shardCells } from '../../src/harness/shard.js';
import { useTestModelsDir } from '../support/models-dir.js';

const BASE = ['target: stories260K', 'speculator: {kind: draft-model, models: [stories260K-ssm-m]}', 'policy: {kind: static}', 'workload: story-openings', 'seeds: [1]'];

function load(...lines: string[]) {
  return loadExperiment('sweep.yaml', { text: [...BASE, ...lines].join('\n') + '\n' });
}

function problems(...lines: string[]): string[] {
  try {
    load(...lines);
    return [];
  } catch (e) {
    if (e instanceof ConfigFileError) return e.issues.map(formatIssue);
    throw e;
  }
}

describe('sweeps: the grid expands to cells in a fixed order', () => {
  before(() => useTestModelsDir());

  it('a 2 x 3 grid: six cells c000..c005, first key slowest, with their values, labels and configs', () => {
    const exp = load('sweep:', '  policy.expansion: [[1, 1, 1], [1, 3, 1]]', '  verifier.kind,sampling.temperature: [[greedy, 0], [mss, 1], [ns, 1]]');
    const cells = exp.cells.filter((c) => !c.info.baseline);
    expect(cells.map((c) => c.info.id)).to.deep.equal(['c000', 'c001', 'c002', 'c003', 'c004', 'c005']);
    expect(cells.map((c) => c.info.index)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(cells[4].info.params).to.deep.equal({ 'policy.expansion': [1, 3, 1], 'verifier.kind': 'mss', 'sampling.temperature': 1 });
    expect(cells[4].info.label).to.equal('expansion=1,3,1 verifier=mss T=1');
    expect(cells.map((c) => `${c.run.spec.policy?.kind}:${c.info.verifier}:${c.info.temperature}`)).to.deep.equal([
      'static:greedy:0',
      'static:mss:1',
      'static:ns:1',
      'static:greedy:0',
      'static:mss:1',
      'static:ns:1',
    ]);
    expect(cells[4].run.spec.policy).to.deep.equal({ kind: 'static', expansion: [1, 3, 1], children: 'auto' });
    expect(cells[4].config.maxTokens).to.equal(128); // defaults filled in
  });

  it('each cell carries its run resolved once at load: verifier created, policy built, exactness known', () => {
    const exp = load('sweep:', '  verifier.kind,sampling.temperature: [[greedy, 0], [mss, 1]]');
    const [baseline, greedy, mss] = exp.cells;
    expect([baseline.run.verifier.kind, greedy.run.verifier.kind, mss.run.verifier.kind]).to.deep.equal(['greedy', 'greedy', 'mss']);
    expect([greedy.run.sampling.temperature, mss.run.sampling.temperature]).to.deep.equal([0, 1]);
    expect(greedy.run.exact && mss.run.exact).to.equal(true);
    // The plan's speculator node is the one its policies are keyed by, so building looks them up instead of resolving.
    const node = greedy.run.spec.speculator;
    expect(greedy.run.policyOf(node)).to.equal(greedy.run.policyOf(node));
    expect(greedy.run.policyOf(node).kind).to.equal('static');
  });

  it('baselines: one per target and batch size, first, ids from the target', () => {
    const exp = load('sweep:', '  batchSize: [1, 4]', '  policy.expansion: [[1], [2]]');
    expect(exp.cells.map((c) => c.info.id)).to.deep.equal(['baseline-stories260K', 'baseline-stories260K-b4', 'c000', 'c001', 'c002', 'c003']);
    const b4 = exp.cells[1];
    expect(b4.info).to.deep.include({ baseline: true, speculator: 'none', policy: 'none', verifier: 'greedy', batchSize: 4, temperature: 0, label: 'batchSize=4' });
    expect(exp.cells.slice(2).map((c) => c.info.batchSize)).to.deep.equal([1, 1, 4, 4]);
  });

  it('baseline: false adds none; no sweep is one cell c000', () => {
    expect(load('baseline: false').cells.map((c) => c.info.id)).to.deep.equal(['c000']);
  });

  it('whole components can be swept (labels show their kind and options)', () => {
    const exp = load(
      'baseline: false',
      'sweep:',
      '  speculator:',
      '    - {kind: suffix}',
      '    - {kind: draft-model, models: [stories260K-ssm-m], policy: {kind: chain, depth: 4}}',
    );
    expect(exp.cells.map((c) => c.info.speculator)).to.deep.equal(['suffix', 'draft-model']);
    expect(exp.cells.map((c) => c.info.policy)).to.deep.equal(['static', 'chain']); // the file's policy, then the speculator's own
    expect(exp.cells.map((c) => c.info.label)).to.deep.equal(['speculator=suffix', 'speculator=draft-model(…policy=chain(depth=4))']);
    expect(valueText([{ kind: 'ngram' }, { kind: 'suffix', maxDepth: 8 }])).to.equal('ngram+suffix(maxDepth=8)');
    expect(label({ 'policy.expansion': [1, 2, 1] })).to.equal('policy.expansion=1,2,1');
  });

  it('named sweep values label their cells; the config gets the value', () => {
    const exp = load(
      'baseline: false',
      'sweep:',
      '  policy:',
      '    - {name: tree-3, value: {kind: static, expansion: [1, 3, 1]}}',
      '    - {kind: chain, depth: 4}',
      '  verifier.kind: [greedy]',
    );
    expect(exp.cells.map((c) => c.info.label)).to.deep.equal(['tree-3', 'policy=chain(depth=4)']);
    expect(exp.cells[0].run.spec.policy).to.deep.include({ kind: 'static', expansion: [1, 3, 1] });
    expect(exp.cells[0].info.params).to.deep.equal({ policy: { kind: 'static', expansion: [1, 3, 1] }, 'verifier.kind': 'greedy' });
  });

  it('problems of named sweep values: empty or repeated names, bad values located inside `value`', () => {
    expect(problems('sweep:', '  policy.expansion: [{name: "", value: [1]}]')).to.deep.equal(['sweep.yaml:7: sweep["policy.expansion"]: value 1: name must be a non-empty text']);
    expect(problems('sweep:', '  policy.expansion: [{name: a, value: [1]}, {name: a, value: [2]}]')).to.deep.equal([
      `sweep.yaml:7: sweep["policy.expansion"]: the name 'a' is given to two values; names label cells, so each must differ`,
    ]);
    expect(problems('sweep:', '  policy.expansion:', '    - {name: ok, value: [1, 2]}', '    - name: bad', '      value: [0]')).to.deep.equal([
      "sweep.yaml:10: policy.expansion[0]: must be >= 1, got 0 (sweep value 2 of 'policy.expansion') [cell c001]",
    ]);
  });

  it('a list of speculators is a hybrid merge of them', () => {
    const exp = loadExperiment('h.yaml', { text: 'target: stories260K\nspeculator: [{kind: ngram}, {kind: suffix}]\nworkload: story-openings\nseeds: [1]\n' });
    expect(exp.cells[1].run.spec.speculator).to.deep.include({ kind: 'hybrid', mode: 'merge' });
    expect(exp.cells[1].info.speculator).to.equal('hybrid-merge(ngram+suffix)');
  });

  it('problems of the sweep: its shape, fixed keys, overlaps, and bad values located in the sweep', () => {
    expect(problems('sweep: [1, 2]')).to.deep.equal(['sweep.yaml:6: sweep: expected a mapping of key paths to lists of values, e.g. `verifier.kind: [mss, ns]`']);
    expect(problems('sweep:', '  batchSize: 4')).to.deep.equal(['sweep.yaml:7: sweep.batchSize: expected a non-empty list of values']);
    expect(problems('sweep:', '  name: [a, b]')).to.deep.equal(["sweep.yaml:7: sweep.name: 'name' cannot be swept"]);
    expect(problems('sweep:', '  "verifier.kind,sampling.temperature": [[mss]]')).to.deep.equal([
      'sweep.yaml:7: sweep["verifier.kind,sampling.temperature"]: value 1 must be a list of 2 values, one per key path (verifier.kind, sampling.temperature)',
    ]);
    expect(problems('sweep:', '  policy: [{kind: chain}]', '  policy.depth: [2]')[0]).to.match(/^sweep\.yaml:8: .*overlaps 'policy'/);
    expect(problems('sweep:', '  policy.expansion: [[1, 2], [0]]', '  batchSize: [1, 2]')).to.deep.equal([
      "sweep.yaml:7: policy.expansion[0]: must be >= 1, got 0 (sweep value 2 of 'policy.expansion') [cells c002, c003]",
    ]);
    expect(problems('sweep:', '  polcy.expansion: [[1, 2]]')).to.deep.equal([
      "sweep.yaml:7: polcy: unknown key 'polcy' (did you mean 'policy'?) (sweep value 1 of 'polcy.expansion')",
    ]);
  });

  it('shards: --shard k/N takes the cells whose index mod N is k - 1; together they are every cell once', () => {
    const exp = load('sweep:', '  policy.expansion: [[1], [2], [3], [4], [5]]');
    const shards = [1, 2, 3].map((k) => shardCells(exp.cells, parseShard(`${k}/3`)).map((c) => c.info.index));
    expect(shards).to.deep.equal([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(() => parseShard('0/3')).to.throw(/1 <= k <= N/);
    expect(() => parseShard('4/3')).to.throw(/1 <= k <= N/);
  });
});
