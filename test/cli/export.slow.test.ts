import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readGgufFile } from '../../src/model/formats/gguf.js';
import { loadModel } from '../../src/model/models.js';
import { MODELS_DIR } from '../support/models-dir.js';

const run = promisify(execFile);
const CLI = 'dist/src/cli/main.js';

async function specinfer(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('node', [CLI, ...args], { env: { ...process.env, SPECINFER_MODELS: MODELS_DIR } });
}

async function failure(...args: string[]): Promise<{ code?: number; stderr?: string }> {
  try {
    await specinfer(...args);
  } catch (e) {
    return e as { code?: number; stderr?: string };
  }
  return expect.fail(`specinfer ${args.join(' ')} succeeded`);
}

const greedy = (target: string, prompt = 'Once upon a time'): Promise<{ stdout: string }> =>
  specinfer('generate', '--target', target, '--prompt', prompt, '--max-tokens', '64', '--greedy');

describe('specinfer export and specinfer models inflate (CLI)', () => {
  let tmp: string;
  let reference: string;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-export-'));
    reference = (await greedy('stories260K')).stdout;
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('export --format gguf writes a GGUF that loads bit-identically and generates the same text', async () => {
    const out = path.join(tmp, 'stories260K.gguf');
    const { stdout } = await specinfer('export', 'stories260K', '--format', 'gguf', '--out', out);
    expect(stdout).to.equal(`${out}\n`);
    const [src, g] = [await loadModel(path.join(MODELS_DIR, 'stories260K')), await loadModel(out)];
    expect(g.format).to.equal('gguf');
    expect(Buffer.from(g.weights.layers[2].wq.buffer, g.weights.layers[2].wq.byteOffset, g.weights.layers[2].wq.byteLength)).to.deep.equal(
      Buffer.from(src.weights.layers[2].wq.buffer, src.weights.layers[2].wq.byteOffset, src.weights.layers[2].wq.byteLength),
    );
    expect(readGgufFile(out).metadata.get('general.name')?.value).to.equal('stories260K');
    expect((await greedy(out)).stdout).to.equal(reference);
  });

  it('export --dtype f16 writes F16 matrices; export --format hf writes a loadable folder', async () => {
    const f16 = path.join(tmp, 'half.gguf');
    await specinfer('export', 'stories260K', '--format', 'gguf', '--dtype', 'f16', '--out', f16);
    expect(readGgufFile(f16).metadata.get('general.file_type')?.value).to.equal(1);
    expect((await loadModel(f16)).weights.config.dim).to.equal(64);
    const hf = path.join(tmp, 'hf');
    await specinfer('export', 'stories260K', '--format', 'hf', '--out', hf);
    expect((await loadModel(hf)).format).to.equal('hf');
    expect((await greedy(hf)).stdout).to.equal(reference);
  });

  it('models inflate writes a bigger Hugging Face model with the same greedy text; it exports to GGUF too', async () => {
    const out = path.join(tmp, 'big');
    const { stdout, stderr } = await specinfer('models', 'inflate', 'stories260K', '--dim', '128', '--hidden', '344', '--layers', '7', '--heads', '16', '--out', out);
    expect(stdout).to.equal(`${out}\n`);
    expect(stderr).to.match(/stories260K: 260032 -> \d+ parameters, rms_norm_eps 0\.000005/);
    const m = await loadModel(out);
    expect(m.weights.config).to.deep.include({ dim: 128, hiddenDim: 344, nLayers: 7, nHeads: 16, nKvHeads: 8 });
    expect((JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as { rms_norm_eps: number }).rms_norm_eps).to.equal(5e-6);
    expect((await greedy(out)).stdout).to.equal(reference);
    const gguf = path.join(tmp, 'big.gguf');
    await specinfer('export', out, '--format', 'gguf', '--out', gguf);
    expect((await greedy(gguf)).stdout).to.equal(reference);
  });

  it('errors: a shape that changes the head dimension, an existing --out, a missing model, a missing --format', async () => {
    const heads = await failure('models', 'inflate', 'stories260K', '--dim', '128', '--hidden', '344', '--layers', '7', '--heads', '8', '--out', path.join(tmp, 'x'));
    expect(heads.code).to.equal(1);
    expect(heads.stderr).to.match(/dim 128 \/ heads 8 must equal the source's head dimension 8/);
    const exists = await failure('models', 'inflate', 'stories260K', '--dim', '128', '--hidden', '344', '--layers', '7', '--heads', '16', '--out', tmp);
    expect(exists.stderr).to.match(/already exists/);
    const missing = await failure('export', 'no-such-model', '--format', 'gguf', '--out', path.join(tmp, 'y.gguf'));
    expect([missing.code, /no-such-model.*not found/.test(missing.stderr ?? '')]).to.deep.equal([1, true]);
    const noFormat = await failure('export', 'stories260K', '--out', path.join(tmp, 'z.gguf'));
    expect(noFormat.code).to.equal(2);
    expect(noFormat.stderr).to.match(/format/);
    const noCommand = await failure('models');
    expect(noCommand.code).to.equal(2);
  });
});
