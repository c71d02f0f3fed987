import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CellRecord, OutputRecord } from '../../src/harness/cell.js';
import { loadExperiment } from '../../src/harness/load.js';
import { ModelCache } from '../../src/harness/model-cache.js';
import { decodeText } from '../../src/model/formats/tokenizer.js';
import { mergeRuns } from '../../src/harness/merge.js';
import { renderReport } from '../../src/report/run-report.js';
import { replayMeasure } from '../../src/harness/replay.js';
import { readJson, readJsonl } from '../../src/harness/results.js';
import { runExperiment } from '../../src/harness/run.js';
import { parseShard } from '../../src/harness/shard.js';
import type { TopkRecord } from '../../src/harness/topk.js';
import { readTrace, recordTrace } from '../../src/harness/trace.js';
import { useTestModelsDir } from '../support/models-dir.js';

const TINY = `# a tiny experiment for tests
name: tiny
target: stories260K
workload: [story-openings, dialogue]
promptsPerWorkload: 2
maxTokens: 16
seeds: [7]
warmupTokens: 4
sweep:
  speculator:
    - {kind: draft-model, models: [stories260K-ssm-m]}
    - {kind: suffix}
  batchSize: [1, 2]
`;

function tmp(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `specinfer-${prefix}-`));
}

function configFile(text: string, name = 'tiny.yaml'): string {
  const file = path.join(tmp('config'), name);
  writeFileSync(file, text);
  return file;
}

/** Records without their timings (what must be reproducible). */
function untimed(records: readonly CellRecord[]): object[] {
  return records.map(({ proposeMs, scoreMs, verifyMs, commitMs, ...rest }) => {
    void [proposeMs, scoreMs, verifyMs, commitMs];
    return rest;
  });
}

function outputs(dir: string): OutputRecord[] {
  return readJsonl<OutputRecord>(path.join(dir, 'outputs.jsonl'));
}

function steps(dir: string): CellRecord[] {
  return readJsonl<CellRecord>(path.join(dir, 'steps.jsonl'));
}

describe('specinfer run: experiments end to end', () => {
  before(() => useTestModelsDir());
  const file = configFile(TINY);
  let full = '';

  it('runs every cell (and the baselines) and writes records, tables, charts, report, resolved config, env', async () => {
    full = tmp('run');
    const exp = loadExperiment(file);
    const result = await runExperiment(exp, { out: full });
    await renderReport(full, exp.measure);
    expect(result.ran).to.deep.equal(['baseline-stories260K', 'baseline-stories260K-b2', 'c000', 'c001', 'c002', 'c003']);
    for (const f of ['steps.jsonl', 'summary.csv', 'summary-by-workload.csv', 'config.resolved.yaml', 'env.json', 'cells.json', 'cells-done.json', 'meta.json', 'report.html']) {
      expect(existsSync(path.join(full, f)), f).to.equal(true);
    }
    const charts = readdirSync(path.join(full, 'charts'));
    expect(charts.some((f) => f.endsWith('.svg'))).to.equal(true);
    expect(charts.some((f) => f.endsWith('.png'))).to.equal(true);
    const records = steps(full);
    const requests = new Set(records.map((r) => `${r.cell}/${r.workload}/${r.prompt}/${r.seed}`));
    expect(requests.size).to.equal(6 * 2 * 2);
    expect(records.every((r) => r.seed === 7)).to.equal(true);
    const env = JSON.parse(readFileSync(path.join(full, 'env.json'), 'utf8')) as Record<string, unknown>;
    expect(env).to.include.keys('os', 'cpu', 'cpus', 'node', 'onnxruntime', 'commit');
    expect(env.threads).to.deep.equal([1]);
    for (const k of ['loadAvgStart', 'loadAvgEnd']) expect(env[k], k).to.be.an('array').with.length(3);
    const meta = JSON.parse(readFileSync(path.join(full, 'meta.json'), 'utf8')) as { timed: boolean; env: Record<string, string> };
    expect(meta.timed).to.equal(true);
    expect(meta.env.loadAvgEnd).to.match(/^[\d.]+ \/ [\d.]+ \/ [\d.]+ \(1 \/ 5 \/ 15 min\)$/);
    const html = readFileSync(path.join(full, 'report.html'), 'utf8');
    expect(html).to.contain('<section id="config">').and.contain('models: [ stories260K-ssm-m ]');
    expect(html).to.contain('<dt>loadAvgStart</dt>').and.contain('<dt>threads</dt><dd>1</dd>');
    const csv = readFileSync(path.join(full, 'summary.csv'), 'utf8').split('\n');
    expect(csv[0].startsWith('cell,label,tokens_per_step')).to.equal(true);
    expect(csv.filter((l) => l !== '')).to.have.length(7);
  });

  it('outputs.jsonl: one line per cell and request, tokens decoding to the text; every greedy cell is lossless', async () => {
    const got = outputs(full);
    expect(got).to.have.length(6 * 2 * 2);
    expect(new Set(got.map((o) => `${o.cell}/${o.workload}/${o.prompt}/${o.seed}`)).size).to.equal(got.length);
    const tok = (await new ModelCache().load('stories260K')).tokenizer;
    const prompts = new Map(got.map((o) => [o.prompt, o]));
    expect(prompts.size).to.equal(4);
    for (const o of got) {
      expect(o.tokens.length).to.be.within(1, 16);
      expect(decodeText(tok, [tok.bosId, ...o.tokens])).to.equal(o.text.replace(/^ /, '')); // after BOS a leading space is dropped
    }
    const csv = readFileSync(path.join(full, 'summary.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const col = csv[0].indexOf('lossless');
    expect(csv.slice(1).map((r) => r[col])).to.deep.equal(['', '', 'yes', 'yes', 'yes', 'yes']);
    expect(readFileSync(path.join(full, 'report.html'), 'utf8')).to.match(/<li>c003 \([^)]*\): yes<\/li>/);
  });

  it('config.resolved.yaml (defaults filled in) runs the same cells', () => {
    const again = loadExperiment(path.join(full, 'config.resolved.yaml'));
    const first = loadExperiment(file);
    expect(again.cells.map((c) => [c.info, c.config])).to.deep.equal(first.cells.map((c) => [c.info, c.config]));
    expect(readFileSync(path.join(full, 'config.resolved.yaml'), 'utf8')).to.include('maxNodes: 64');
  });

  it('the same file gives the same records (timings aside); shards 1/3..3/3 merged equal the unsharded run', async () => {
    const exp = loadExperiment(file);
    const dirs = [];
    for (const k of [1, 2, 3]) {
      const dir = tmp(`shard${k}`);
      await runExperiment(exp, { out: dir, shard: parseShard(`${k}/3`) });
      dirs.push(dir);
    }
    expect(steps(dirs[0]).map((r) => r.cell))
      .to.include('c001')
      .and.not.include('c000');
    const merged = tmp('merged');
    await mergeRuns(merged, dirs);
    expect(untimed(steps(merged))).to.deep.equal(untimed(steps(full)));
    expect(outputs(dirs[0]).length).to.be.above(0).and.below(outputs(full).length);
    expect(outputs(merged)).to.deep.equal(outputs(full));
    expect(JSON.parse(readFileSync(path.join(merged, 'cells.json'), 'utf8'))).to.deep.equal(JSON.parse(readFileSync(path.join(full, 'cells.json'), 'utf8')));
    await mergeRuns(tmp('m2'), dirs.slice(0, 2)).then(
      () => expect.fail('a missing shard is an error'),
      (e: Error) => expect(e.message).to.equal('shard 3/3 missing'),
    );
  });

  it('--resume skips the cells an interrupted run finished, redoes the interrupted one and a damaged one, outputs not duplicated', async () => {
    const exp = loadExperiment(file);
    const dir = tmp('resume');
    let error: unknown;
    try {
      await runExperiment(exp, {
        out: dir,
        afterCell: (id) => {
          if (id === 'c000') throw new Error('interrupted');
        },
      });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal('interrupted');
    // As if the process had died while appending c001's records: a stray record and a torn line.
    const stray = { ...steps(dir)[0], cell: 'c001' };
    writeFileSync(path.join(dir, 'steps.jsonl'), readFileSync(path.join(dir, 'steps.jsonl'), 'utf8') + JSON.stringify(stray) + '\n{"cell": "c0');
    writeFileSync(path.join(dir, 'outputs.jsonl'), readFileSync(path.join(dir, 'outputs.jsonl'), 'utf8') + JSON.stringify({ ...outputs(dir)[0], cell: 'c001' }) + '\n');
    // c000 (done) gets a damaged record line: it is run again, its outputs written once.
    writeFileSync(path.join(dir, 'steps.jsonl'), readFileSync(path.join(dir, 'steps.jsonl'), 'utf8').replace(/\n[^\n]*"cell":"c000"[^\n]*/, '\n{"cell":"c000","request":'));
    await runExperiment(exp, { out: dir }).then(
      () => expect.fail('a folder with a run needs --resume'),
      (e: Error) => expect(e.message).to.match(/already holds results of a run; pass --resume/),
    );
    const changed = loadExperiment(configFile(TINY.replace('maxTokens: 16', 'maxTokens: 17')));
    await runExperiment(changed, { out: dir, resume: true }).then(
      () => expect.fail('resuming with another config is an error'),
      (e: Error) => expect(e.message).to.match(/holds a run of a different config/),
    );
    const resumed = await runExperiment(exp, { out: dir, resume: true });
    expect(resumed.skipped).to.deep.equal(['baseline-stories260K', 'baseline-stories260K-b2']);
    expect(resumed.ran).to.deep.equal(['c000', 'c001', 'c002', 'c003']);
    expect(untimed(steps(dir))).to.deep.equal(untimed(steps(full)));
    expect(outputs(dir)).to.deep.equal(outputs(full));
  });

  it('replay against a greedy trace gives the records of a real greedy run (batches of 1 and 3; timings aside)', async () => {
    const text = `target: stories260K
workload: [story-openings, repetitive]
promptsPerWorkload: 3
maxTokens: 48
seeds: [1]
baseline: false
warmupTokens: 0
sweep:
  speculator:
    - {kind: draft-model, models: [stories260K-ssm-m]}
    - {kind: draft-model, models: [stories260K-ssm-m, stories260K-ssm-s], policy: {kind: dynamic}}
    - {kind: suffix}
    - {kind: ngram, policy: {kind: chain, depth: 4}}
    - {kind: layer-skip, layers: 4}
  batchSize: [1, 3]
`;
    const exp = loadExperiment(configFile(text, 'replay.yaml'), { replay: true });
    const real = tmp('real');
    await runExperiment(exp, { out: real });
    const traceFile = path.join(tmp('trace'), 'trace.jsonl');
    expect(await recordTrace(exp, traceFile)).to.equal(6);
    const replayed = tmp('replayed');
    await runExperiment(exp, { out: replayed, measure: replayMeasure(readTrace(traceFile)), timed: false });
    expect(readJson<{ timed: boolean }>(path.join(replayed, 'meta.json')).timed).to.equal(false);
    const got = steps(replayed);
    expect(got.every((r) => r.scoreMs === 0)).to.equal(true);
    expect(untimed(got)).to.deep.equal(untimed(steps(real)));
    expect(outputs(replayed)).to.deep.equal(outputs(real));
  });

  it('replay of retrieval on the retell workload: the trace keeps the references, the records equal a real run', async () => {
    const corpus = path.resolve('experiments/corpora/stories260K-stories.txt');
    const text = `target: stories260K
workload: retell
promptsPerWorkload: 2
maxTokens: 32
seeds: [1]
baseline: false
warmupTokens: 0
sweep:
  speculator:
    - {kind: retrieval}
    - {kind: retrieval, corpus: ${corpus}}
`;
    const exp = loadExperiment(configFile(text, 'replay-retrieval.yaml'), { replay: true });
    const real = tmp('real');
    await runExperiment(exp, { out: real });
    const traceFile = path.join(tmp('trace'), 'trace.jsonl');
    expect(await recordTrace(exp, traceFile)).to.equal(2);
    expect(readTrace(traceFile).get('stories260K', 'retell', 'retell-00')?.referenceTokens).to.have.length(1);
    const replayed = tmp('replayed');
    await runExperiment(exp, { out: replayed, measure: replayMeasure(readTrace(traceFile)) });
    expect(untimed(steps(replayed))).to.deep.equal(untimed(steps(real)));
    expect(steps(real).some((r) => r.accepted > 0)).to.equal(true);
  });

  it("replay to the context's end: trees reaching it emit the target's token past it, as a real run does", async () => {
    const text = `target: stories260K
workload: repetitive
promptsPerWorkload: 1
maxTokens: 600
seeds: [1]
baseline: false
warmupTokens: 0
sweep:
  speculator:
    - {kind: none}
    - {kind: ngram, policy: {kind: chain, depth: 6}}
`;
    const exp = loadExperiment(configFile(text, 'replay-context.yaml'), { replay: true });
    const real = tmp('real');
    await runExperiment(exp, { out: real });
    const traceFile = path.join(tmp('trace'), 'trace.jsonl');
    await recordTrace(exp, traceFile, 0);
    const replayed = tmp('replayed');
    await runExperiment(exp, { out: replayed, measure: replayMeasure(readTrace(traceFile)), timed: false });
    expect(untimed(steps(replayed))).to.deep.equal(untimed(steps(real)));
    expect(outputs(replayed)).to.deep.equal(outputs(real));
    expect(outputs(real).map((o) => o.stop)).to.deep.equal(['context', 'context']);
  });

  it('topk-agreement: per request, how often the target token is in the draft top-k (nested in k), with its report', async () => {
    const text = `target: stories260K
speculator: {kind: draft-model, models: [stories260K-ssm-m]}
workload: story-openings
promptsPerWorkload: 2
maxTokens: 24
seeds: [3]
measure: {kind: topk-agreement, maxK: 3}
sweep:
  sampling.temperature: [0, 1]
`;
    const exp = loadExperiment(configFile(text, 'topk.yaml'));
    expect(exp.cells.map((c) => c.info.id)).to.deep.equal(['c000', 'c001']); // no baseline: nothing is decoded
    const dir = tmp('topk');
    await runExperiment(exp, { out: dir });
    await renderReport(dir, exp.measure);
    const records = readJsonl<TopkRecord>(path.join(dir, 'topk.jsonl'));
    expect(records).to.have.length(4);
    for (const r of records) {
      expect(r.hits).to.have.length(3);
      expect(r.hits[0]).to.be.at.most(r.hits[1]);
      expect(r.hits[1]).to.be.at.most(r.hits[2]);
      expect(r.hits[2]).to.be.at.most(r.positions);
      expect(r.positions).to.be.within(1, 24);
    }
    const csv = readFileSync(path.join(dir, 'summary.csv'), 'utf8');
    expect(csv.split('\n')[0]).to.equal('cell,label,workload,temperature,requests,positions,top1,top2,top3');
    expect(existsSync(path.join(dir, 'charts', 'topk-agreement.svg'))).to.equal(true);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8'))
      .to.include('top-k')
      .and.include('<section id="config">');
  });
});
