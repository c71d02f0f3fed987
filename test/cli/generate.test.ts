import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_MODELS_DIR } from '../../src/model/models.js';
import { MODELS_DIR } from '../support/models-dir.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';

/** The golden text of the model card models/README.md: the indented block after "Golden output". */
function goldenText(): string {
  const readme = readFileSync(path.join(BUNDLED_MODELS_DIR, 'README.md'), 'utf8');
  const after = readme.slice(readme.indexOf('Golden output'));
  const block = after.split('\n').filter((l) => l.startsWith('    '));
  return block.map((l) => l.slice(4)).join('\n');
}

async function specinfer(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('node', [CLI, ...args], { env: { ...process.env, SPECINFER_MODELS: MODELS_DIR } });
}

describe('specinfer generate (CLI)', () => {
  // run.c with its default 256 steps stops at `...help you.`; the README's golden block
  // carries one more token (the closing quote), i.e. 257 generated tokens.
  it('--max-tokens 256 --greedy from BOS prints the published run.c text', async () => {
    const golden = goldenText();
    expect(golden.endsWith('We can help you."')).to.equal(true);
    const { stdout, stderr } = await specinfer('generate', '--target', 'stories260K', '--max-tokens', '256', '--greedy');
    expect(stdout).to.equal(golden.slice(0, -1) + '\n');
    expect(stderr).to.match(/^tokens\/step: 1\.00, acceptance: n\/a, steps: 256, ms\/token: [0-9.]+ \(median [0-9.]+, p90 [0-9.]+\)\n$/);
  });

  it('--max-tokens 257 prints exactly the golden text of the models README', async () => {
    const { stdout } = await specinfer('generate', '--target', 'stories260K', '--max-tokens', '257', '--greedy');
    expect(stdout).to.equal(goldenText() + '\n');
  });

  it('--prompt echoes the prompt and continues it', async () => {
    const { stdout } = await specinfer('generate', '--target', 'stories260K', '--prompt', 'Once upon a time', '--max-tokens', '12');
    expect(stdout.startsWith('Once upon a time, there was a little girl named Lily.')).to.equal(true);
  });

  it('a missing model is a clear error with exit code 1', async () => {
    let err: { code?: number; stderr?: string } = {};
    try {
      await specinfer('generate', '--target', 'no-such-model');
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).to.equal(1);
    expect(err.stderr)
      .to.match(/no-such-model/)
      .and.to.match(/not found/);
  });

  it('a prompt longer than the context is a clear error', async () => {
    let err: { code?: number; stderr?: string } = {};
    try {
      await specinfer('generate', '--target', 'stories260K', '--prompt', 'the dog ran. '.repeat(300));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).to.equal(1);
    expect(err.stderr).to.match(/prompt has \d+ tokens but the model's context is 512/);
  });
});
