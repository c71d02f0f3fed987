import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MODELS_DIR } from '../support/models-dir.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';
const STORIES = 'experiments/corpora/stories260K-stories.txt';
const PROMPT = ['--target', 'stories260K', '--prompt', 'Tom had a red ball. Tom had a red ball.', '--max-tokens', '40'];

async function specinfer(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('node', [CLI, ...args], { env: { ...process.env, SPECINFER_MODELS: MODELS_DIR } });
}

async function failure(...args: string[]): Promise<{ code?: number; stderr?: string }> {
  try {
    await specinfer(...args);
  } catch (e) {
    return e as { code?: number; stderr?: string };
  }
  return {};
}

describe('specinfer generate: --speculator and --policy', () => {
  let plain = '';
  before(async () => {
    plain = (await specinfer('generate', ...PROMPT)).stdout;
  });

  const runs: [string, string[]][] = [
    ['ngram', ['--speculator', 'ngram']],
    ['suffix with p-split', ['--speculator', 'suffix', '--policy', 'p-split', '--p-split', '0.2']],
    ['a switch hybrid: suffix, else the SSM', ['--speculator', 'suffix', '--speculator', 'draft-model', '--draft', 'stories260K-ssm-m', '--hybrid', 'switch']],
    ['retrieval over a corpus, with a reference document', ['--speculator', 'retrieval', '--retrieval-corpus', STORIES, '--reference', STORIES]],
    ['SSM with a best-first (SpecExec) dynamic tree', ['--draft', 'stories260K-ssm-m', '--policy', 'dynamic', '--dynamic-search', 'best-first', '--dynamic-beam', '4']],
    ['suffix with options through --set', ['--speculator', 'suffix', '--set', 'speculator.maxDepth=8', '--set', 'policy.depth=6']],
    ['layer-skip with sequoia', ['--speculator', 'layer-skip', '--draft-layers', '3', '--policy', 'sequoia', '--sequoia-acceptance', '0.5,0.2']],
  ];
  for (const [name, args] of runs) {
    it(`${name}: the same text, the same stats line`, async () => {
      const { stdout, stderr } = await specinfer('generate', ...PROMPT, ...args);
      expect(stdout).to.equal(plain);
      expect(stderr).to.match(/^tokens\/step: [0-9.]+, acceptance: [0-9.]+, steps: \d+, ms\/token: [0-9.]+ \(median [0-9.]+, p90 [0-9.]+\)\n$/);
    });
  }

  it('errors: draft-model without --draft, a bad policy option, an inexact verifier, missing retrieval files', async () => {
    expect(await failure('generate', ...PROMPT, '--speculator', 'draft-model'))
      .to.include({ code: 1 })
      .and.to.have.property('stderr')
      .that.matches(/needs --draft/);
    expect((await failure('generate', ...PROMPT, '--speculator', 'ngram', '--policy', 'p-split', '--p-split', '2')).stderr).to.match(/--p-split must be a number in 0\.\.1/);
    expect((await failure('generate', ...PROMPT, '--speculator', 'ngram', '--verifier', 'sequence', '--temperature', '1')).stderr).to.match(/not exact for trees/);
    expect((await failure('generate', ...PROMPT, '--speculator', 'bogus')).stderr).to.match(/Invalid values/);
    expect((await failure('generate', ...PROMPT, '--speculator', 'suffix', '--set', 'speculator.maxDepth=0')).stderr).to.match(/--set speculator\.maxDepth: must be >= 1, got 0/);
    expect((await failure('generate', ...PROMPT, '--speculator', 'retrieval', '--retrieval-corpus', 'no-such.txt')).stderr).to.match(
      /speculator 'retrieval': corpus file .*no-such\.txt not found/,
    );
    expect((await failure('generate', ...PROMPT, '--speculator', 'retrieval', '--reference', 'no-such.txt')).stderr).to.match(/--reference: file .*no-such\.txt not found/);
  });
});
