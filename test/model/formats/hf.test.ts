import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer as LibTokenizerClass } from '@huggingface/tokenizers';
import { ModelFileError, TokenizerError } from '../../../src/core/errors.js';
import { loadHfFolder, loadHfFolderAs, pairsToRotateHalf, rotateHalfToPairs } from '../../../src/model/formats/hf.js';
import { pieceToBytes } from '../../../src/model/formats/hf-tokenizer.js';
import { writeHfFolder } from '../../../src/model/formats/hf-writer.js';
import { readLlama2cCheckpoint } from '../../../src/model/formats/llama2c.js';
import { Llama2cTokenizer, byteLevelVocab } from '../../../src/model/formats/llama2c-tokenizer.js';
import { readLlama2cVocab, type Llama2cVocab } from '../../../src/model/formats/llama2c-vocab.js';
import { randomWeights, TINY_RANDOM_CONFIG } from '../../../src/model/random.js';
import { readSafetensors, writeSafetensors } from '../../../src/model/formats/safetensors.js';
import { decodeText, type Tokenizer } from '../../../src/model/formats/tokenizer.js';
import { convertMatrix, convertWeights, LAYER_MATRICES, type LlamaWeights } from '../../../src/model/weights.js';
import { modelFile } from '../../support/models-dir.js';
import { TOKENIZER_TEXTS as TEXTS } from '../../support/tokenizer-texts.js';

/** Every named float array of a model, in a fixed order. */
function arrays(w: LlamaWeights): [string, Float32Array][] {
  const out: [string, Float32Array][] = [
    ['tokenEmbedding', w.tokenEmbedding],
    ['finalNorm', w.finalNorm],
    ['classifier', w.classifier],
  ];
  w.layers.forEach((l, i) => {
    for (const [k, v] of Object.entries(l)) out.push([`layers.${i}.${k}`, v as Float32Array]);
  });
  return out;
}

/** The part of @huggingface/tokenizers' Tokenizer used here (its .d.ts files do not resolve under NodeNext). */
interface LibTokenizerApi {
  encode(text: string): { ids: number[] };
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
}
const LibTokenizer = LibTokenizerClass as unknown as new (json: object, config: object) => LibTokenizerApi;
/** A parsed JSON file of the folder. */
const readJson = <T = Record<string, unknown>>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
type TokenizerJson = { model: { vocab: Record<string, number> } };
const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('Hugging Face folders (stories260K written by writeHfFolder)', function () {
  let tmp: string;
  let weights: LlamaWeights;
  let vocab: Llama2cVocab;
  let ref: Llama2cTokenizer;
  const folder = (name: string): string => path.join(tmp, name);

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-hf-'));
    weights = readLlama2cCheckpoint(modelFile('stories260K/stories260K.bin'));
    vocab = readLlama2cVocab(modelFile('stories260K/tok512.bin'), weights.config.vocabSize);
    ref = new Llama2cTokenizer(vocab);
    writeHfFolder(folder('f32'), weights, vocab);
    writeHfFolder(folder('f16'), weights, vocab, { dtype: 'F16' });
    writeHfFolder(folder('bf16'), weights, vocab, { dtype: 'BF16' });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('weights', () => {
    it('loaded as stored, layer matrices stay in their files until used (Q/K rows un-permuted on each read)', async () => {
      const { weights: w } = await loadHfFolderAs(folder('f32'), (m) => m);
      const [wq, wv] = [w.layers[1].wq, w.layers[1].wv];
      expect([wq.type, wq.rows, wq.cols]).to.deep.equal(['f32', weights.config.dim, weights.config.dim]);
      expect(bytesOf(wq.data).equals(bytesOf(weights.layers[1].wq)), 'wq').to.equal(true);
      expect(bytesOf(wv.data).equals(bytesOf(weights.layers[1].wv)), 'wv').to.equal(true);
      expect(wq.data, 'a fresh array on each use').to.not.equal(wq.data);
    });

    it('F32: every weight array is bit-identical to the llama2.c checkpoint, config equal, classifier tied', async () => {
      const { weights: w } = await loadHfFolder(folder('f32'));
      expect(w.config).to.deep.equal(weights.config);
      expect(w.classifier).to.equal(w.tokenEmbedding);
      const want = arrays(weights);
      arrays(w).forEach(([name, a], i) => {
        expect(name).to.equal(want[i][0]);
        expect(bytesOf(a).equals(bytesOf(want[i][1])), `${name} differs`).to.equal(true);
      });
      const st = readSafetensors(path.join(folder('f32'), 'model.safetensors'));
      expect(st.has('lm_head.weight'), 'tied: no lm_head.weight').to.equal(false);
      const cfg = readJson(path.join(folder('f32'), 'config.json'));
      expect(cfg).to.include({ model_type: 'llama', tie_word_embeddings: true, torch_dtype: 'float32', rms_norm_eps: 1e-5 });
    });

    it('loadHfFolderAs converts each layer matrix as it is read: the same blocks as quantizing the loaded float model', async () => {
      const seen: string[] = [];
      const { weights: w } = await loadHfFolderAs(folder('f32'), (m, field, c) => {
        seen.push(field);
        return convertMatrix(m, field, c, 'q8_0');
      });
      expect(seen.slice(0, 7)).to.deep.equal(['wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3']);
      expect(seen.length).to.equal(7 * weights.config.nLayers);
      const want = convertWeights(weights, 'q8_0');
      w.layers.forEach((l, i) => {
        for (const f of LAYER_MATRICES) {
          const [a, b] = [l[f], want.layers[i][f]];
          const bytes = (m: typeof a) => (m instanceof Float32Array ? bytesOf(m) : Buffer.from(m.data));
          expect(a instanceof Float32Array ? 'f32' : a.type, `${i}.${f}`).to.equal(b instanceof Float32Array ? 'f32' : b.type);
          expect(bytes(a).equals(bytes(b)), `layers.${i}.${f} differs`).to.equal(true);
        }
      });
    });

    for (const [dtype, relErr] of [
      ['f16', 2 ** -11],
      ['bf16', 2 ** -8],
    ] as const) {
      it(`${dtype}: loads within half an ulp of ${dtype} (relative ${relErr}) of every weight`, async () => {
        const { weights: w } = await loadHfFolder(folder(dtype));
        const want = arrays(weights);
        let rounded = 0;
        arrays(w).forEach(([name, a], i) => {
          const b = want[i][1];
          for (let j = 0; j < a.length; j++) {
            const err = Math.abs(a[j] - b[j]);
            if (err > Math.abs(b[j]) * relErr + 2 ** -25) expect.fail(`${name}[${j}]: ${a[j]} vs ${b[j]}`);
            if (err > 0) rounded++;
          }
        });
        expect(rounded, 'values were actually rounded').to.be.greaterThan(1000);
      });
    }

    it('stores q_proj / k_proj rows in the HF rotate-half order (row h*hd + c*hd/2 + i = original h*hd + 2i + c)', () => {
      const st = readSafetensors(path.join(folder('f32'), 'model.safetensors'));
      const c = weights.config;
      const hd = c.dim / c.nHeads;
      const check = (hf: Float32Array, orig: Float32Array, heads: number): void => {
        for (let h = 0; h < heads; h++) {
          for (let cc = 0; cc < 2; cc++) {
            for (let i = 0; i < hd / 2; i++) {
              const row = (m: Float32Array, r: number): Float32Array => m.subarray(r * c.dim, (r + 1) * c.dim);
              expect(row(hf, h * hd + cc * (hd / 2) + i)).to.deep.equal(row(orig, h * hd + 2 * i + cc));
            }
          }
        }
      };
      check(st.get('model.layers.3.self_attn.q_proj.weight')!.data, weights.layers[3].wq, c.nHeads);
      check(st.get('model.layers.3.self_attn.k_proj.weight')!.data, weights.layers[3].wk, c.nKvHeads);
      expect(st.get('model.layers.3.self_attn.v_proj.weight')!.data).to.deep.equal(weights.layers[3].wv);
    });

    it('the permutation turns adjacent-pairs RoPE into rotate-half RoPE (same rotated q, same attention scores)', () => {
      const c = weights.config;
      const hd = c.dim / c.nHeads;
      const x = Float32Array.from({ length: c.dim }, (_, i) => Math.sin(i * 1.7));
      const pos = 37;
      const wq = weights.layers[0].wq;
      const q = ropePairs(matVec(wq, x, c.dim), hd, pos, c.ropeTheta);
      const qHf = ropeRotateHalf(matVec(pairsToRotateHalf(wq, c.nHeads, hd, c.dim), x, c.dim), hd, pos, c.ropeTheta);
      for (let h = 0; h < c.nHeads; h++) {
        for (let i = 0; i < hd / 2; i++) {
          for (let cc = 0; cc < 2; cc++) expect(qHf[h * hd + cc * (hd / 2) + i]).to.be.closeTo(q[h * hd + 2 * i + cc], 1e-9);
        }
      }
      expect(rotateHalfToPairs(pairsToRotateHalf(wq, c.nHeads, hd, c.dim), c.nHeads, hd, c.dim)).to.deep.equal(wq);
    });

    it('an untied classifier is written as lm_head.weight and loaded back (random tiny model, byte-level vocab)', async () => {
      const base = randomWeights(TINY_RANDOM_CONFIG, 3);
      const untied: LlamaWeights = { ...base, classifier: base.tokenEmbedding.map((v) => -v) };
      writeHfFolder(folder('untied'), untied, byteLevelVocab(TINY_RANDOM_CONFIG.vocabSize), { normEps: 1e-6 });
      const { weights: w, tokenizer } = await loadHfFolder(folder('untied'));
      expect(w.classifier).to.not.equal(w.tokenEmbedding);
      expect(bytesOf(w.classifier).equals(bytesOf(untied.classifier))).to.equal(true);
      expect(bytesOf(w.layers[1].wk).equals(bytesOf(untied.layers[1].wk))).to.equal(true);
      expect(w.config.normEps).to.equal(1e-6);
      const synthetic = new Llama2cTokenizer(byteLevelVocab(TINY_RANDOM_CONFIG.vocabSize));
      expect([...tokenizer.encode('Hi there, 😀!')]).to.deep.equal([...synthetic.encode('Hi there, 😀!')]);
    });

    it('reads sharded checkpoints (model.safetensors.index.json)', async () => {
      cpSync(folder('f32'), folder('sharded'), { recursive: true });
      const all = readSafetensors(path.join(folder('sharded'), 'model.safetensors'));
      unlinkSync(path.join(folder('sharded'), 'model.safetensors'));
      const names = [...all.keys()];
      const shards = [names.slice(0, 10), names.slice(10)];
      const weightMap: Record<string, string> = {};
      shards.forEach((part, i) => {
        const shard = `model-0000${i + 1}-of-00002.safetensors`;
        writeSafetensors(
          path.join(folder('sharded'), shard),
          part.map((name) => ({ name, ...all.get(name)! })),
          'F32',
        );
        for (const n of part) weightMap[n] = shard;
      });
      writeFileSync(path.join(folder('sharded'), 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
      const { weights: w } = await loadHfFolder(folder('sharded'));
      expect(bytesOf(w.layers[4].w2).equals(bytesOf(weights.layers[4].w2))).to.equal(true);
    });
  });

  describe('tokenizer', () => {
    let hf: Tokenizer;
    before(async () => {
      hf = (await loadHfFolder(folder('f32'))).tokenizer;
    });

    it('has the same vocabulary size and special ids as the llama2.c tokenizer', () => {
      expect([hf.vocabSize, hf.bosId, hf.eosId]).to.deep.equal([ref.vocabSize, ref.bosId, ref.eosId]);
      expect(hf.source).to.equal(path.join(folder('f32'), 'tokenizer.json'));
    });

    it(`encodes ${TEXTS.length} varied strings exactly like run.c (with and without BOS)`, () => {
      for (const text of TEXTS) {
        expect([...hf.encode(text)], JSON.stringify(text)).to.deep.equal([...ref.encode(text)]);
        expect([...hf.encode(text, { bos: false })], JSON.stringify(text)).to.deep.equal([...ref.encode(text, { bos: false })]);
      }
    });

    it('encodes 3000 pseudo-random strings of vocabulary pieces and characters exactly like run.c', () => {
      const pieces = vocab.pieces.slice(259).map((p) => Buffer.from(p).toString('utf8'));
      const chars = [...' abcxyzTLS.,!?\'"\n0189-é😀中—…\u2009'];
      let seed = 12345;
      const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
      for (let k = 0; k < 3000; k++) {
        let text = '';
        for (let j = rnd(12) + 1; j > 0; j--) text += rnd(3) ? pieces[rnd(pieces.length)] : chars[rnd(chars.length)];
        const [a, b] = [[...ref.encode(text)], [...hf.encode(text)]];
        if (a.join() !== b.join()) expect.fail(`${JSON.stringify(text)}: run.c ${a.join(',')}, HF ${b.join(',')}`);
      }
    });

    it('decodes those encodings to the same text as run.c (which is the input text for valid strings)', () => {
      for (const text of TEXTS) {
        const ids = ref.encode(text);
        expect(decodeText(hf, ids), JSON.stringify(text)).to.equal(decodeText(ref, ids));
      }
      expect(decodeText(hf, hf.encode('café 中文 😀\n  x '))).to.equal('café 中文 😀\n  x ');
    });

    it('prints every token like run.c, after BOS and after another token', () => {
      for (let t = 0; t < ref.vocabSize; t++) {
        for (const prev of [ref.bosId, 100, ref.eosId]) {
          expect(Buffer.from(hf.pieceBytes(prev, t)).equals(Buffer.from(ref.pieceBytes(prev, t))), `token ${t} after ${prev}`).to.equal(true);
        }
      }
      expect(() => hf.pieceBytes(1, 512)).to.throw(TokenizerError, /outside the vocabulary/);
    });

    it("the tokenizer.json decoder pipeline (the library's decode) gives back the text too", () => {
      const json = readJson(path.join(folder('f32'), 'tokenizer.json'));
      const cfg = readJson(path.join(folder('f32'), 'tokenizer_config.json'));
      const lib = new LibTokenizer(json, cfg);
      for (const text of ['Once upon a time, Lily said "hi".', 'café 中文 😀', ' two  spaces']) {
        const ids: number[] = lib.encode(text).ids;
        expect(ids[0], 'the post-processor adds <s>').to.equal(1);
        expect(ids).to.deep.equal([...ref.encode(text)]);
        expect(lib.decode(ids, { skip_special_tokens: true })).to.equal(text);
      }
    });

    it('known, documented difference: U+2581 in the input text is a space for the HF format, raw bytes for run.c', () => {
      // The HF Llama format spells spaces as U+2581 in pieces and normalizes ' ' to U+2581 before
      // BPE, so an input U+2581 cannot be told from a space; run.c encodes it as its 3 UTF-8 bytes.
      expect([...hf.encode('a\u2581b')]).to.deep.equal([...hf.encode('a b')]);
      const bytes = [0xe2, 0x96, 0x81].map((b) => b + 3);
      expect([...ref.encode('a\u2581b')]).to.deep.equal([...ref.encode('a'), ...bytes, ref.lookup('b')]);
    });

    it('spells non-UTF-8 pieces and pieces containing U+2581 as <0xNN> runs that print their exact bytes', async () => {
      const tok512 = readJson<TokenizerJson>(path.join(folder('f32'), 'tokenizer.json'));
      const multi = Object.keys(tok512.model.vocab).filter((p) => /^(<0x..>){2,}$/.test(p));
      expect(multi, 'every tok512.bin piece is valid UTF-8').to.deep.equal([]);
      const base = byteLevelVocab(TINY_RANDOM_CONFIG.vocabSize);
      const pieces = [...base.pieces];
      pieces[298] = Uint8Array.of(0xe2, 0x80); // an incomplete UTF-8 character
      pieces[299] = new Uint8Array(Buffer.from('a\u2581b'));
      writeHfFolder(folder('odd'), randomWeights(TINY_RANDOM_CONFIG, 1), { ...base, pieces });
      const { tokenizer } = await loadHfFolder(folder('odd'));
      const json = readJson<TokenizerJson>(path.join(folder('odd'), 'tokenizer.json'));
      expect(json.model.vocab['<0xE2><0x80>']).to.equal(298);
      expect(json.model.vocab['<0x61><0xE2><0x96><0x81><0x62>']).to.equal(299);
      expect([...tokenizer.pieceBytes(5, 298)]).to.deep.equal([0xe2, 0x80]);
      expect(Buffer.from(tokenizer.pieceBytes(5, 299)).toString()).to.equal('a\u2581b');
    });

    it('pieceToBytes maps <0xNN> runs, U+2581 and GPT-2 byte-level pieces', () => {
      expect([...pieceToBytes('<0xE2><0x80>')]).to.deep.equal([0xe2, 0x80]);
      expect(Buffer.from(pieceToBytes('\u2581the')).toString()).to.equal(' the');
      expect(Buffer.from(pieceToBytes('\u0120hello\u010a', true)).toString()).to.equal(' hello\n');
    });
  });

  describe('errors', () => {
    /** A copy of the F32 folder, changed by `edit`. */
    function variant(name: string, edit: (dir: string) => void): string {
      const dir = folder(name);
      cpSync(folder('f32'), dir, { recursive: true });
      edit(dir);
      return dir;
    }
    const editJson = (file: string, change: (j: Record<string, unknown>) => void): void => {
      const j = readJson(file);
      change(j);
      writeFileSync(file, JSON.stringify(j));
    };
    async function loadError(dir: string): Promise<Error> {
      try {
        await loadHfFolder(dir);
      } catch (e) {
        return e as Error;
      }
      return expect.fail(`${dir} loaded without an error`);
    }

    it('unknown model_type names config.json, the type, and what is supported', async () => {
      const dir = variant('gpt2', (d) => editJson(path.join(d, 'config.json'), (j) => ((j.model_type = 'gpt2'), (j.architectures = ['GPT2LMHeadModel']))));
      const err = await loadError(dir);
      expect(err).to.be.instanceOf(ModelFileError);
      expect(err.message).to.include(path.join(dir, 'config.json')).and.include('"gpt2"').and.include('supported: model_type "llama"');
    });

    it('missing config.json or model.safetensors', async () => {
      const noConfig = variant('no-config', (d) => unlinkSync(path.join(d, 'config.json')));
      expect((await loadError(noConfig)).message)
        .to.include(path.join(noConfig, 'config.json'))
        .and.include('not found');
      const dir = variant('no-weights', (d) => unlinkSync(path.join(d, 'model.safetensors')));
      const err = await loadError(dir);
      expect(err).to.be.instanceOf(ModelFileError);
      expect(err.message).to.include(path.join(dir, 'model.safetensors')).and.include('not found');
    });

    it('truncated model.safetensors', async () => {
      const dir = variant('truncated', (d) => truncateSync(path.join(d, 'model.safetensors'), 200_000));
      const err = await loadError(dir);
      expect(err).to.be.instanceOf(ModelFileError);
      expect(err.message).to.include(path.join(dir, 'model.safetensors')).and.include('truncated');
    });

    it('a tensor of the wrong shape or a missing tensor names the file, the tensor and both shapes', async () => {
      const wrong = variant('shape', (d) => editJson(path.join(d, 'config.json'), (j) => (j.intermediate_size = 173)));
      expect((await loadError(wrong)).message)
        .to.include(path.join(wrong, 'model.safetensors'))
        .and.include('tensor "model.layers.0.mlp.gate_proj.weight" has shape [172, 64], expected [173, 64]');
      const missing = variant('missing', (d) => {
        const file = path.join(d, 'model.safetensors');
        const all = readSafetensors(file);
        all.delete('model.layers.2.self_attn.k_proj.weight');
        writeSafetensors(
          file,
          [...all].map(([name, t]) => ({ name, ...t })),
          'F32',
        );
      });
      expect((await loadError(missing)).message)
        .to.include(path.join(missing, 'model.safetensors'))
        .and.include('tensor "model.layers.2.self_attn.k_proj.weight" is missing (expected shape [32, 64]');
    });

    it('a tokenizer whose vocabulary size does not match the model', async () => {
      const dir = variant('vocab', (d) =>
        editJson(path.join(d, 'tokenizer.json'), (j) => {
          const model = j.model as { vocab: Record<string, number> };
          for (const [k, id] of Object.entries(model.vocab)) if (id === 511) delete model.vocab[k];
        }),
      );
      const err = await loadError(dir);
      expect(err).to.be.instanceOf(TokenizerError);
      expect(err.message).to.include(path.join(dir, 'tokenizer.json')).and.include('511 tokens').and.include('has 512');
    });

    it('missing tokenizer.json', async () => {
      const dir = variant('no-tokenizer', (d) => unlinkSync(path.join(d, 'tokenizer.json')));
      const err = await loadError(dir);
      expect(err).to.be.instanceOf(TokenizerError);
      expect(err.message).to.include(path.join(dir, 'tokenizer.json')).and.include('not found');
    });
  });
});

function matVec(w: Float32Array, x: Float32Array, cols: number): Float64Array {
  const out = new Float64Array(w.length / cols);
  for (let r = 0; r < out.length; r++) for (let j = 0; j < cols; j++) out[r] += w[r * cols + j] * x[j];
  return out;
}

/** llama2.c RoPE: dims (2i, 2i+1) of each head rotate by pos * theta^(-2i/hd). */
function ropePairs(q: Float64Array, hd: number, pos: number, theta: number): Float64Array {
  const out = q.slice();
  for (let base = 0; base < q.length; base += hd) {
    for (let i = 0; i < hd / 2; i++) {
      const a = pos * theta ** (-(2 * i) / hd);
      const [x0, x1] = [q[base + 2 * i], q[base + 2 * i + 1]];
      out[base + 2 * i] = x0 * Math.cos(a) - x1 * Math.sin(a);
      out[base + 2 * i + 1] = x0 * Math.sin(a) + x1 * Math.cos(a);
    }
  }
  return out;
}

/** Hugging Face RoPE: q * cos + rotate_half(q) * sin, dims (i, i + hd/2) rotate by pos * theta^(-2i/hd). */
function ropeRotateHalf(q: Float64Array, hd: number, pos: number, theta: number): Float64Array {
  const out = q.slice();
  for (let base = 0; base < q.length; base += hd) {
    for (let i = 0; i < hd / 2; i++) {
      const a = pos * theta ** (-(2 * i) / hd);
      const [x0, x1] = [q[base + i], q[base + i + hd / 2]];
      out[base + i] = x0 * Math.cos(a) - x1 * Math.sin(a);
      out[base + i + hd / 2] = x1 * Math.cos(a) + x0 * Math.sin(a);
    }
  }
  return out;
}
