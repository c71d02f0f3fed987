import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, ModelFileError, TokenizerError } from '../../src/core/errors.js';
import { BUNDLED_MODELS_DIR, loadModel, modelSearchDirs, modelsDir, resolveModel } from '../../src/model/models.js';
import { TINY_RANDOM_CONFIG } from '../../src/model/random.js';
import { decodeText } from '../../src/model/formats/tokenizer.js';
import { MODELS_DIR, modelFile } from '../support/models-dir.js';

/** Runs `fn` with SPECINFER_MODELS set to `value` (or unset), restoring it afterwards. */
async function withModelsEnv<T>(value: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env.SPECINFER_MODELS;
  if (value === undefined) delete process.env.SPECINFER_MODELS;
  else process.env.SPECINFER_MODELS = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.SPECINFER_MODELS;
    else process.env.SPECINFER_MODELS = saved;
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  return expect.fail('expected a rejection');
}

/** The first `n` tokens of a llama2.c tokenizer file (same header), as a new file. */
function truncatedTokenizer(src: string, n: number): Buffer {
  const buf = readFileSync(src);
  let off = 4;
  for (let i = 0; i < n; i++) off += 8 + buf.readInt32LE(off + 4);
  return buf.subarray(0, off);
}

describe('model resolution and loading', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-models-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  /** A folder under tmp holding the given files (name -> source path or contents). */
  const folder = (name: string, files: Record<string, string | Buffer>): string => {
    const dir = path.join(tmp, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, src] of Object.entries(files)) {
      if (typeof src === 'string') copyFileSync(src, path.join(dir, f));
      else writeFileSync(path.join(dir, f), src);
    }
    return dir;
  };

  it('modelsDir: $SPECINFER_MODELS, else ./models under the cwd', async () => {
    await withModelsEnv('/some/where', () => expect(modelsDir()).to.equal(path.resolve('/some/where')));
    await withModelsEnv(undefined, () => expect(modelsDir()).to.equal(path.resolve(process.cwd(), 'models')));
  });

  it('shipped defaults: with SPECINFER_MODELS unset, names resolve from ./models, then the package models/', async () => {
    const cwd = process.cwd();
    const elsewhere = folder('elsewhere', {});
    process.chdir(elsewhere);
    try {
      await withModelsEnv(undefined, () => {
        expect(modelSearchDirs()).to.deep.equal([path.join(elsewhere, 'models'), BUNDLED_MODELS_DIR]);
        expect(resolveModel('stories260K-ssm-m').path).to.equal(path.join(BUNDLED_MODELS_DIR, 'stories260K-ssm-m', 'stories260K-ssm-m.bin'));
        const local = folder('elsewhere/models/stories260K-ssm-m', {
          'stories260K-ssm-m.bin': path.join(BUNDLED_MODELS_DIR, 'stories260K-ssm-m', 'stories260K-ssm-m.bin'),
          'tok512.bin': path.join(BUNDLED_MODELS_DIR, 'stories260K-ssm-m', 'tok512.bin'),
        });
        expect(resolveModel('stories260K-ssm-m').path).to.equal(path.join(local, 'stories260K-ssm-m.bin'));
        const err = (() => {
          try {
            resolveModel('no-such-model');
          } catch (e) {
            return e as Error;
          }
          return expect.fail('expected an error');
        })();
        expect(err.message).to.contain(`${path.join(elsewhere, 'models')} and ${BUNDLED_MODELS_DIR}`);
        expect(err.message).to.match(/models there: stories260K, stories260K-ssm-m, stories260K-ssm-s, stories260K-ssm-s-boost/);
        expect(err.message).to.contain('random:stories110M');
      });
      await withModelsEnv(elsewhere, () => expect(modelSearchDirs()).to.deep.equal([elsewhere]));
    } finally {
      process.chdir(cwd);
    }
  });

  it('resolves a name under SPECINFER_MODELS to the checkpoint and its tok*.bin', async () => {
    const r = await withModelsEnv(MODELS_DIR, () => resolveModel('stories260K'));
    expect(r).to.deep.equal({
      format: 'llama2c',
      id: 'stories260K',
      path: modelFile('stories260K/stories260K.bin'),
      tokenizerFile: modelFile('stories260K/tok512.bin'),
    });
  });

  it('resolves folder paths and .bin paths (tokenizer from the same folder)', () => {
    const byDir = resolveModel(modelFile('stories260K-ssm-s'));
    expect(byDir.format).to.equal('llama2c');
    expect(byDir.id).to.equal('stories260K-ssm-s');
    expect(byDir.path).to.equal(modelFile('stories260K-ssm-s/stories260K-ssm-s.bin'));
    const byFile = resolveModel(modelFile('stories260K-ssm-m/stories260K-ssm-m.bin'));
    expect(byFile).to.deep.include({ id: 'stories260K-ssm-m', tokenizerFile: modelFile('stories260K-ssm-m/tok512.bin') });
    const rel = path.relative(process.cwd(), modelFile('stories260K'));
    expect(resolveModel(rel).path).to.equal(modelFile('stories260K/stories260K.bin'));
  });

  it('loads stories260K by name with a matching tokenizer', async () => {
    const m = await withModelsEnv(MODELS_DIR, () => loadModel('stories260K'));
    expect(m.format).to.equal('llama2c');
    expect(m.id).to.equal('stories260K');
    expect(m.weights.config.vocabSize).to.equal(512);
    expect(m.tokenizer.vocabSize).to.equal(512);
    expect(Array.from(m.tokenizer.encode('Once upon a time'))).to.deep.equal([1, 403, 407, 261, 378]);
  });

  it('treats a folder with config.json as Hugging Face', () => {
    const dir = folder('hf-model', { 'config.json': Buffer.from('{}'), 'model.safetensors': Buffer.alloc(0) });
    expect(resolveModel(dir)).to.deep.equal({ format: 'hf', id: 'hf-model', path: dir });
  });

  it('random:tiny[:SEED] and random:stories110M need no files and are deterministic', async () => {
    const a = await loadModel('random:tiny');
    expect([a.id, a.format, a.path]).to.deep.equal(['random:tiny:0', 'random', 'random:tiny']);
    expect(a.weights.config).to.deep.equal(TINY_RANDOM_CONFIG);
    expect(a.tokenizer.vocabSize).to.equal(300);
    expect(decodeText(a.tokenizer, a.tokenizer.encode('Hi there!\n'))).to.equal('Hi there!\n');
    const b = await loadModel('random:tiny:0');
    const c = await loadModel('random:tiny:7');
    expect(Array.from(b.weights.layers[1].wq)).to.deep.equal(Array.from(a.weights.layers[1].wq));
    expect(Array.from(c.weights.layers[1].wq)).to.not.deep.equal(Array.from(a.weights.layers[1].wq));
    const big = resolveModel('random:stories110M:3');
    expect(big).to.deep.include({ format: 'random', id: 'random:stories110M:3', seed: 3 });
  });

  it('error: bad random references (ConfigError naming the reference)', () => {
    expect(() => resolveModel('random:huge')).to.throw(ConfigError, /random:huge.*unknown random model.*random:tiny/);
    expect(() => resolveModel('random:tiny:abc')).to.throw(ConfigError, /seed "abc" is not a non-negative integer/);
    expect(() => resolveModel('random:tiny:1:2')).to.throw(ConfigError, /unknown random model/);
    expect(() => resolveModel('random:constructor')).to.throw(ConfigError, /unknown random model/);
  });

  it('error: stories260K not found names the folder searched, SPECINFER_MODELS and where to get it', async () => {
    const empty = folder('empty-models', {});
    const err = await rejection(withModelsEnv(empty, () => loadModel('stories260K')));
    expect(err).to.be.instanceOf(ModelFileError);
    expect((err as ModelFileError).file).to.equal(path.join(empty, 'stories260K'));
    for (const part of [empty, 'SPECINFER_MODELS', 'karpathy/tinyllamas', 'stories260K.bin', 'tok512.bin', 'specinfer models pull stories260K']) {
      expect(err.message).to.contain(part);
    }
  });

  it('error: unknown name with SPECINFER_MODELS unset says the default folder and lists what is there', async () => {
    const err = await rejection(withModelsEnv(undefined, () => loadModel('no-such-model')));
    expect(err).to.be.instanceOf(ModelFileError);
    expect(err.message).to.contain(path.resolve('models'));
    expect(err.message).to.match(/SPECINFER_MODELS is unset/);
    expect(err.message).to.not.contain('karpathy');
    const listed = await rejection(withModelsEnv(MODELS_DIR, () => loadModel('no-such-model')));
    expect(listed.message).to.match(/models there: stories260K, stories260K-ssm-m/);
  });

  it('error: a path that does not exist', () => {
    const p = path.join(tmp, 'missing', 'model.bin');
    expect(() => resolveModel(p)).to.throw(ModelFileError, /missing\/model\.bin: no such file or folder/);
  });

  it('error: folders with no checkpoint, several checkpoints, or no tokenizer; a tokenizer given as model', () => {
    const none = folder('no-ckpt', { 'tok512.bin': modelFile('stories260K/tok512.bin') });
    expect(() => resolveModel(none)).to.throw(ModelFileError, /no-ckpt: holds no model: no config\.json/);
    const two = folder('two-ckpt', { 'a.bin': Buffer.alloc(4), 'b.bin': Buffer.alloc(4), 'tok512.bin': Buffer.alloc(4) });
    expect(() => resolveModel(two)).to.throw(ModelFileError, /two-ckpt: holds several llama2\.c checkpoints \(a\.bin, b\.bin\)/);
    const noTok = folder('no-tok', { 'model.bin': Buffer.alloc(4) });
    expect(() => resolveModel(noTok)).to.throw(ModelFileError, /no-tok: no llama2\.c tokenizer .*tokenizer\.bin or tok\*\.bin/);
    const twoTok = folder('two-tok', { 'model.bin': Buffer.alloc(4), 'tokenizer.bin': Buffer.alloc(4), 'tok512.bin': Buffer.alloc(4) });
    expect(() => resolveModel(twoTok)).to.throw(ModelFileError, /several tokenizer files \(tok512\.bin, tokenizer\.bin\)/);
    expect(() => resolveModel(modelFile('stories260K/tok512.bin'))).to.throw(ModelFileError, /tok512\.bin: is a tokenizer file/);
  });

  it('error: tokenizer with fewer tokens than the model vocabulary (TokenizerError naming both)', async () => {
    const dir = folder('short-tok', {
      'stories260K.bin': modelFile('stories260K/stories260K.bin'),
      'tok256.bin': truncatedTokenizer(modelFile('stories260K/tok512.bin'), 256),
    });
    const err = await rejection(loadModel(dir));
    expect(err).to.be.instanceOf(TokenizerError);
    expect((err as TokenizerError).file).to.equal(path.join(dir, 'tok256.bin'));
    expect(err.message).to.contain(path.join(dir, 'tok256.bin'));
    expect(err.message).to.match(/file ends after 256 tokens/);
    expect(err.message).to.match(/expects a vocabulary of 512 tokens/);
    expect(err.message).to.contain(path.join(dir, 'stories260K.bin'));
  });

  it('error: tokenizer with more tokens than the model vocabulary', async () => {
    const tok = readFileSync(modelFile('stories260K/tok512.bin'));
    const extra = Buffer.alloc(9);
    extra.writeFloatLE(-300, 0);
    extra.writeInt32LE(1, 4);
    extra.write('z', 8, 'latin1');
    const dir = folder('long-tok', {
      'stories260K.bin': modelFile('stories260K/stories260K.bin'),
      'tok513.bin': Buffer.concat([tok, extra]),
    });
    const err = await rejection(loadModel(dir));
    expect(err).to.be.instanceOf(TokenizerError);
    expect(err.message).to.match(/tok513\.bin: file holds more than 512 tokens/);
  });

  it('error: checkpoint errors propagate with the checkpoint file named', async () => {
    const dir = folder('cut-ckpt', {
      'model.bin': readFileSync(modelFile('stories260K/stories260K.bin')).subarray(0, 1000),
      'tok512.bin': modelFile('stories260K/tok512.bin'),
    });
    const err = await rejection(loadModel(dir));
    expect(err).to.be.instanceOf(ModelFileError);
    expect(err.message).to.contain(path.join(dir, 'model.bin'));
    expect(err.message).to.match(/truncated/);
  });
});
