import { expect } from 'chai';
import { cellLabels, label, MAX_VALUE, valueText, type LabelAxis } from '../../src/harness/labels.js';
import { sweepPoints, type SweepAxis } from '../../src/harness/sweep.js';

/** An axis of one key path. */
function axis(key: string, values: unknown[], names: (string | undefined)[] = values.map(() => undefined)): SweepAxis {
  return { key, paths: [key.split('.')], values, names };
}

/** The short labels of the grid of `axes`. */
function labels(...axes: SweepAxis[]): string[] {
  const points = sweepPoints(axes);
  return cellLabels(
    axes,
    points.map((p) => p.choice),
    points.map((p) => p.params),
  );
}

const CHAIN = [1, 1, 1, 1, 1, 1, 1, 1];
const TREE = [1, 1, 3, 1, 1, 1, 1, 1];

describe('cell labels: short, and distinct where the cells differ', () => {
  it('full labels: key paths and every value', () => {
    expect(label({ 'policy.expansion': [1, 2, 1], 'verifier.kind': 'mss' })).to.equal('policy.expansion=1,2,1 verifier.kind=mss');
    expect(valueText([{ kind: 'ngram' }, { kind: 'suffix', maxDepth: 8 }])).to.equal('ngram+suffix(maxDepth=8)');
    expect(valueText({ kind: 'static', expansion: TREE })).to.equal('static(expansion=[1,1,3,1,1,1,1,1])');
  });

  it('keys cut to their last meaningful segment; runs of 3+ equal items as x×n', () => {
    const table: [SweepAxis[], string[]][] = [
      [[axis('policy.expansion', [CHAIN, TREE])], ['expansion=1×8', 'expansion=1,1,3,1×5']],
      [[axis('verifier.kind', ['mss', 'ns'])], ['verifier=mss', 'verifier=ns']],
      [
        [axis('sampling.temperature', [0, 1]), axis('batchSize', [1, 2])],
        ['T=0 batch=1', 'T=0 batch=2', 'T=1 batch=1', 'T=1 batch=2'],
      ],
      [[axis('speculator.0.models', [['a'], ['b']])], ['models=a', 'models=b']],
    ];
    for (const [axes, want] of table) expect(labels(...axes)).to.deep.equal(want);
  });

  it('options every value of the same kind shares are left out; kinds stay, so a tree and a chain differ', () => {
    const tree = { kind: 'draft-model', models: ['stories260K-ssm-m'], policy: { kind: 'static', expansion: TREE } };
    const chain = { kind: 'draft-model', models: ['stories260K-ssm-m'], policy: { kind: 'chain', depth: 8 } };
    expect(labels(axis('speculator', [tree, chain]))).to.deep.equal(['speculator=static(expansion=[1,1,3,1×5])', 'speculator=chain(depth=8)']);
    const suffix = { kind: 'suffix' };
    expect(labels(axis('speculator', [tree, chain, suffix]))).to.deep.equal([
      'speculator=draft-model(policy=static(expansion=[1,1,3,1×5]))',
      'speculator=draft-model(policy=chain(depth=8))',
      'speculator=suffix',
    ]);
    expect(
      labels(
        axis('speculator', [
          { kind: 'suffix', maxDepth: 8 },
          { kind: 'suffix', maxDepth: 16 },
        ]),
      ),
    ).to.deep.equal(['speculator=suffix(maxDepth=8)', 'speculator=suffix(maxDepth=16)']);
    expect(
      labels(
        axis('policy', [
          { kind: 'static', expansion: TREE },
          { kind: 'static', expansion: CHAIN },
        ]),
      ),
    ).to.deep.equal(['policy=static(expansion=[1,1,3,1×5])', 'policy=static(expansion=[1×8])']);
  });

  it('axes whose one value every cell has are left out', () => {
    expect(labels(axis('verifier.kind', ['greedy']), axis('policy.expansion', [CHAIN, TREE]))).to.deep.equal(['expansion=1×8', 'expansion=1,1,3,1×5']);
  });

  it('named values show their name only', () => {
    expect(labels(axis('policy', [{ kind: 'static', expansion: TREE }, { kind: 'chain' }], ['tree-3', undefined]), axis('verifier.kind', ['mss', 'ns']))).to.deep.equal([
      'tree-3 verifier=mss',
      'tree-3 verifier=ns',
      'policy=chain verifier=mss',
      'policy=chain verifier=ns',
    ]);
  });

  it('several key paths on one axis: one part per path', () => {
    const a: SweepAxis = {
      key: 'verifier.kind,sampling.temperature',
      paths: [
        ['verifier', 'kind'],
        ['sampling', 'temperature'],
      ],
      values: [
        ['greedy', 0],
        ['mss', 1],
      ],
      names: [undefined, 'sampled'],
    };
    expect(labels(a)).to.deep.equal(['verifier=greedy T=0', 'sampled']);
  });

  it('long values keep their kind and last options; the middle is cut where that would merge two values', () => {
    const long = (depth: number) => ({ kind: 'draft-model', models: [`model-with-a-very-long-name-${depth}`], policy: { kind: 'chain', depth } });
    const got = labels(axis('speculator', [long(4), long(5)]));
    expect(got).to.deep.equal(['speculator=draft-model(…policy=chain(depth=4))', 'speculator=draft-model(…policy=chain(depth=5))']);
    const same = (n: number) => ({ kind: 'x', a: `${'a'.repeat(30)}${n}${'b'.repeat(30)}`, z: 1 });
    const cut = labels(axis('speculator', [same(1), same(2)]));
    expect(new Set(cut).size).to.equal(2);
    expect(cut.every((l) => l.length <= 'speculator='.length + MAX_VALUE || l.includes(`${'a'.repeat(30)}`))).to.equal(true);
  });

  it('labels that would still collide fall back to the full labels', () => {
    const ax: LabelAxis[] = [
      { paths: [['a', 'x']], values: [1, 2], names: [undefined, undefined] },
      { paths: [['b', 'x']], values: [1, 2], names: [undefined, undefined] },
    ];
    const params = [
      { 'a.x': 1, 'b.x': 2 },
      { 'a.x': 2, 'b.x': 1 },
    ];
    expect(
      cellLabels(
        ax,
        [
          [0, 1],
          [1, 0],
        ],
        params,
      ),
    ).to.deep.equal(['a.x=1 b.x=2', 'a.x=2 b.x=1']);
    const named: LabelAxis[] = [
      { paths: [['p']], values: [1, 2], names: ['same', undefined] },
      { paths: [['q']], values: [3], names: ['same'] },
    ];
    expect(
      cellLabels(
        named,
        [
          [0, 0],
          [1, 0],
        ],
        [
          { p: 1, q: 3 },
          { p: 2, q: 3 },
        ],
      ),
    ).to.deep.equal(['same same', 'p=2 same']);
  });
});
