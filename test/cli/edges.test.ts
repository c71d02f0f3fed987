import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MODELS_DIR } from '../support/models-dir.js';
import { oneErrorLine, specinfer } from './cli.js';

const TINY = `name: edges-tiny
target: stories260K
workload: story-openings
promptsPerWorkload: 2
maxTokens: 8
seeds: [1]
warmupTokens: 0
sweep:
  speculator: [{kind: suffix}]
`;

describe('CLI edges: one error line, no stack trace', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'specinfer-edges-'));
  const file = path.join(dir, 'tiny.yaml');
  const plain = path.join(dir, 'plain.txt');
  writeFileSync(file, TINY);
  writeFileSync(plain, 'a regular file\n');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const commands: Record<string, (out: string) => string[]> = {
    run: (out) => ['run', file, '--out', out],
    export: (out) => ['export', 'random:tiny', '--format', 'gguf', '--out', out],
    'export --format hf': (out) => ['export', 'random:tiny', '--format', 'hf', '--out', out],
    report: (out) => ['report', 'test/fixtures/run-small', '--out', out],
    trace: (out) => ['trace', file, '--out', out],
  };
  for (const [name, args] of Object.entries(commands)) {
    it(`${name} --out inside a regular file: one line naming the file, exit 1, nothing written`, async () => {
      const r = await specinfer(args(path.join(plain, 'x')));
      expect(r.code, r.stderr).to.equal(1);
      expect(oneErrorLine(r.stderr)).to.include(`: ${plain} is a file, not a folder; choose another --out`);
      expect(r.stdout).to.equal('');
    });
  }

  it('run --out where mkdir fails under an existing folder (/proc) ends at once with one line', async function () {
    if (!existsSync('/proc/self')) this.skip();
    const r = await specinfer(['run', file, '--out', '/proc/specinfer-out'], 20_000);
    expect(r.killed, 'still running after 20 s').to.equal(false);
    expect(r.code).to.equal(1);
    expect(oneErrorLine(r.stderr)).to.equal('specinfer: cannot create the folder /proc/specinfer-out: the file system does not allow a folder there; choose another --out');
  });

  it('a prompt longer than the context: the error only, nothing printed to stdout first', async () => {
    const r = await specinfer(['generate', '--target', 'stories260K', '--prompt', 'the dog ran. '.repeat(300)]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(oneErrorLine(r.stderr)).to.match(/the prompt has \d+ tokens but the model's context is 512; shorten the prompt$/);
  });

  const badNumbers: [string[], string][] = [
    [['generate', '--target', 'stories260K', '--max-tokens', 'abc'], "--max-tokens must be a positive integer, got 'abc'"],
    [['generate', '--target', 'stories260K', '--seed=1.5'], "--seed must be an integer >= 0, got '1.5'"],
    [['generate', '--target', 'stories260K', '--temperature', 'hot'], "--temperature must be a number >= 0, got 'hot'"],
    [['generate', '--target', 'stories260K', '--top-p', '0'], "--top-p must be a number > 0 and <= 1, got '0'"],
    [['trace', 'configs/quickstart.yaml', '--extra', 'x'], "--extra must be a positive integer, got 'x'"],
  ];
  for (const [args, message] of badNumbers) {
    it(`${args.slice(-2).join(' ')}: a usage error naming the flag and the value, exit 2`, async () => {
      const r = await specinfer(args);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(oneErrorLine(r.stderr)).to.equal(`specinfer: ${message} (see specinfer --help)`);
    });
  }

  for (const args of [['--help'], ['generate', '--help'], ['run', '--help']]) {
    it(`specinfer ${args.join(' ')} says where models come from`, async () => {
      const r = await specinfer(args);
      expect(r.code).to.equal(0);
      const text = r.stdout.replace(/\s+/g, ' ');
      for (const s of [
        '$SPECINFER_MODELS when set',
        'shipped with specinfer',
        'stories260K-ssm-s-boost',
        'random:tiny / random:stories110M',
        '`specinfer models pull NAME` downloads',
      ]) {
        expect(text).to.include(s);
      }
    });
  }

  it('validate reports every problem of a file at once (schema, unknown key, model, sweep), sorted by line', async () => {
    const bad = path.join(dir, 'four.yaml');
    writeFileSync(
      bad,
      'name: four\ntarget: stories260K\nworkload: story-openings\nmaxTokens: 12\nseeds: 1\nverifer: {kind: mss}\n' +
        'speculator: {kind: draft-model, models: [no-such-draft]}\nsweep:\n  name: [a, b]\n  maxNodes: [8, 16]\n',
    );
    const r = await specinfer(['validate', bad]);
    expect(r.code).to.equal(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).to.equal(`specinfer: 4 problems in ${bad}:`);
    const starts = [
      `${bad}:5: seeds: expected a list, got 1`,
      `${bad}:6: verifer: unknown key 'verifer' (did you mean 'verifier'?)`,
      `${bad}:7: speculator.models[0]: ${path.join(MODELS_DIR, 'no-such-draft')}: model "no-such-draft" not found`,
      `${bad}:9: sweep.name: 'name' cannot be swept`,
    ];
    expect(lines.slice(1).map((l, i) => l.startsWith(starts[i]))).to.deep.equal([true, true, true, true], r.stderr);
  });

  it('generate says why it stopped short (context full), counting exactly 1.00 tokens/step without speculation', async () => {
    const prompt = 'the dog ran. '.repeat(81); // 488 tokens with BOS: the context holds 24 more
    const r = await specinfer(['generate', '--target', 'stories260K', '--prompt', prompt, '--max-tokens', '200']);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/^stopped: context full \(512 tokens\) after 24 of 200 tokens\ntokens\/step: 1\.00, acceptance: n\/a, steps: 24, /);
  });

  it('generate says when a stop token ended the text; its step counts the stop token (1.00 tokens/step)', async () => {
    const r = await specinfer(['generate', '--target', 'stories260K', '--max-tokens', '400', '--greedy']);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/^stopped: end of text \(a stop token\) after 345 of 400 tokens\ntokens\/step: 1\.00, acceptance: n\/a, steps: 346, /);
  });
});
