import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFileError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { generateIncremental } from '../../../src/decode/incremental.js';
import { EngineModel } from '../../../src/engine/model.js';
import { GgufType, readGguf, readGgufFile, readGgufModel, shortestFloat32, text, TokenType } from '../../../src/model/formats/gguf.js';
import { writeGguf } from '../../../src/model/formats/gguf-writer.js';
import { writeHfFolder } from '../../../src/model/formats/hf-writer.js';
import { readLlama2cCheckpoint } from '../../../src/model/formats/llama2c.js';
import { byteLevelVocab, Llama2cTokenizer } from '../../../src/model/formats/llama2c-tokenizer.js';
import { readLlama2cVocab, type Llama2cVocab } from '../../../src/model/formats/llama2c-vocab.js';
import { loadModel, modelVocab, resolveModel, type LoadedModel } from '../../../src/model/models.js';
import { randomWeights, TINY_RANDOM_CONFIG } from '../../../src/model/random.js';
import { decodeText } from '../../../src/model/formats/tokenizer.js';
import { inMemory, type LlamaWeights } from '../../../src/model/weights.js';
import { modelFile } from '../../support/models-dir.js';
import { maxAbsDiff, randomTree } from '../../support/random-tree.js';
import { TOKENIZER_TEXTS } from '../../support/tokenizer-texts.js';

/** Every named float array of a model, sorted by name. */
function arrays(w: LlamaWeights): [string, Float32Array][] {
  const out: [string, Float32Array][] = [
    ['tokenEmbedding', w.tokenEmbedding],
    ['finalNorm', w.finalNorm],
    ['classifier', w.classifier],
  ];
  w.layers.forEach((l, i) => {
    for (const [k, v] of Object.entries(l)) out.push([`layers.${i}.${k}`, v as Float32Array]);
  });
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function engine(m: LoadedModel): Promise<EngineModel> {
  return EngineModel.create({ id: m.id, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] });
}

/** Byte offset of the u32 type field in the tensor info of `name`. */
function tensorTypeOffset(buf: Buffer, name: string): number {
  const at = buf.indexOf(Buffer.from(name, 'utf8'));
  expect(at).to.be.greaterThan(0);
  const nDims = buf.readUInt32LE(at + name.length);
  return at + name.length + 4 + 8 * nDims;
}

describe('GGUF (stories260K written by writeGguf)', function () {
  let tmp: string;
  let weights: LlamaWeights;
  let vocab: Llama2cVocab;
  let ref: Llama2cTokenizer;
  const file = (name: string): string => path.join(tmp, name);

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-gguf-'));
    weights = readLlama2cCheckpoint(modelFile('stories260K/stories260K.bin'));
    vocab = readLlama2cVocab(modelFile('stories260K/tok512.bin'), weights.config.vocabSize);
    ref = new Llama2cTokenizer(vocab);
    writeGguf(file('f32.gguf'), weights, vocab, { name: 'stories260K' });
    writeGguf(file('f16.gguf'), weights, vocab, { dtype: 'F16' });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('weights', () => {
    it('F32: every weight array is bit-identical, config equal (epsilon back to 1e-5), classifier tied', () => {
      const { weights: w, name } = readGguf(file('f32.gguf'));
      expect(name).to.equal('stories260K');
      expect(w.config).to.deep.equal(weights.config);
      expect(w.classifier).to.equal(w.tokenEmbedding);
      const want = arrays(weights);
      arrays(w).forEach(([n, a], i) => {
        expect(n).to.equal(want[i][0]);
        expect(bytesOf(a).equals(bytesOf(want[i][1])), `${n} differs`).to.equal(true);
      });
    });

    it('F32 layer matrices stay in the file until used: each use of data reads them; a file whose size changed is an error', () => {
      const copy = file('lazy.gguf');
      writeFileSync(copy, readFileSync(file('f32.gguf')));
      const wq = readGgufModel(copy).weights.layers[0].wq;
      expect(wq instanceof Float32Array).to.equal(false);
      const first = inMemory(wq) as Float32Array;
      expect(bytesOf(first).equals(bytesOf(weights.layers[0].wq))).to.equal(true);
      const bytes = readFileSync(copy);
      const at = bytes.indexOf(bytesOf(first));
      bytes.writeFloatLE(0.5, at + 4 * 3);
      writeFileSync(copy, bytes);
      const again = inMemory(wq) as Float32Array;
      expect([again[3], again[2]]).to.deep.equal([0.5, first[2]]);
      expect(again, 'a fresh array on each use').to.not.equal(first);
      writeFileSync(copy, Buffer.concat([bytes, Buffer.alloc(32)]));
      expect(() => inMemory(wq)).to.throw(ModelFileError, /lazy\.gguf: changed since it was opened/);
    });

    it('F16: matrices within half an ulp of F16, norm gains stored as F32 (exact), file_type 1', () => {
      const { weights: w } = readGguf(file('f16.gguf'));
      const want = arrays(weights);
      let rounded = 0;
      arrays(w).forEach(([n, a], i) => {
        const b = want[i][1];
        if (/Norm$/.test(n)) expect(bytesOf(a).equals(bytesOf(b)), `${n} is exact`).to.equal(true);
        for (let j = 0; j < a.length; j++) {
          const err = Math.abs(a[j] - b[j]);
          if (err > Math.abs(b[j]) * 2 ** -11 + 2 ** -25) expect.fail(`${n}[${j}]: ${a[j]} vs ${b[j]}`);
          if (err > 0) rounded++;
        }
      });
      expect(rounded).to.be.greaterThan(1000);
      const g = readGgufFile(file('f16.gguf'));
      expect(g.metadata.get('general.file_type')?.value).to.equal(1);
      expect(g.tensors.get('blk.0.attn_q.weight')?.type).to.equal(1);
      expect(g.tensors.get('blk.0.attn_norm.weight')?.type).to.equal(0);
      expect(readFileSync(file('f16.gguf')).length).to.be.lessThan(readFileSync(file('f32.gguf')).length * 0.6);
    });

    it('an untied classifier is written as output.weight and read back untied', () => {
      const base = randomWeights(TINY_RANDOM_CONFIG, 5);
      const untied: LlamaWeights = { ...base, classifier: base.tokenEmbedding.map((v) => -v) };
      writeGguf(file('untied.gguf'), untied, byteLevelVocab(TINY_RANDOM_CONFIG.vocabSize));
      expect(readGgufFile(file('untied.gguf')).tensors.has('output.weight')).to.equal(true);
      expect(readGgufFile(file('f32.gguf')).tensors.has('output.weight'), 'tied: no output.weight').to.equal(false);
      const { weights: w } = readGguf(file('untied.gguf'));
      expect(w.classifier).to.not.equal(w.tokenEmbedding);
      expect(bytesOf(w.classifier).equals(bytesOf(untied.classifier))).to.equal(true);
    });

    it("a header larger than 64 KiB (the writer's first buffer size) reads back: 8000 pieces, scores and types", () => {
      const c = { ...TINY_RANDOM_CONFIG, vocabSize: 8000 };
      const vocab = byteLevelVocab(c.vocabSize);
      writeGguf(file('big-header.gguf'), randomWeights(c, 6), vocab);
      const g = readGgufFile(file('big-header.gguf'));
      expect(g.dataOffset).to.be.above(1 << 16);
      const back = readGguf(file('big-header.gguf')).vocab;
      expect(back.pieces.length).to.equal(8000);
      expect(Buffer.from(back.pieces[7999]).equals(Buffer.from(vocab.pieces[7999]))).to.equal(true);
      expect(Array.from(back.scores.subarray(7990))).to.deep.equal(Array.from(vocab.scores.subarray(7990)));
    });
  });

  describe('container and metadata (what llama.cpp reads)', () => {
    it('GGUF v3 with llama.cpp key names and value types, tensors in ggml order, data aligned to 32', () => {
      const g = readGgufFile(file('f32.gguf'));
      expect(g.version).to.equal(3);
      expect(g.alignment).to.equal(32);
      expect(g.dataOffset % 32).to.equal(0);
      const m = g.metadata;
      const typed = (key: string): [number, unknown] => [m.get(key)!.type, m.get(key)!.value];
      expect(typed('general.architecture')).to.deep.equal([GgufType.STRING, 'llama']);
      expect(typed('llama.context_length')).to.deep.equal([GgufType.UINT32, 512]);
      expect(typed('llama.embedding_length')).to.deep.equal([GgufType.UINT32, 64]);
      expect(typed('llama.block_count')).to.deep.equal([GgufType.UINT32, 5]);
      expect(typed('llama.feed_forward_length')).to.deep.equal([GgufType.UINT32, 172]);
      expect(typed('llama.attention.head_count')).to.deep.equal([GgufType.UINT32, 8]);
      expect(typed('llama.attention.head_count_kv')).to.deep.equal([GgufType.UINT32, 4]);
      expect(typed('llama.rope.dimension_count')).to.deep.equal([GgufType.UINT32, 8]);
      expect(typed('llama.attention.layer_norm_rms_epsilon')).to.deep.equal([GgufType.FLOAT32, Math.fround(1e-5)]);
      expect(typed('llama.rope.freq_base')).to.deep.equal([GgufType.FLOAT32, 10000]);
      expect(typed('general.file_type')).to.deep.equal([GgufType.UINT32, 0]);
      expect(typed('tokenizer.ggml.model')).to.deep.equal([GgufType.STRING, 'llama']);
      expect(typed('tokenizer.ggml.bos_token_id')).to.deep.equal([GgufType.UINT32, 1]);
      expect(typed('tokenizer.ggml.eos_token_id')).to.deep.equal([GgufType.UINT32, 2]);
      expect(typed('tokenizer.ggml.unknown_token_id')).to.deep.equal([GgufType.UINT32, 0]);
      expect(typed('tokenizer.ggml.add_bos_token')).to.deep.equal([GgufType.BOOL, true]);
      expect(m.get('tokenizer.ggml.tokens')!.itemType).to.equal(GgufType.STRING);
      expect(m.get('tokenizer.ggml.scores')!.itemType).to.equal(GgufType.FLOAT32);
      expect(m.get('tokenizer.ggml.token_type')!.itemType).to.equal(GgufType.INT32);
      const q = g.tensors.get('blk.2.attn_q.weight')!;
      expect(q.ne, 'ne[0] is the input dimension').to.deep.equal([64, 64]);
      expect(g.tensors.get('blk.2.attn_k.weight')!.ne).to.deep.equal([64, 32]);
      expect(g.tensors.get('blk.2.ffn_down.weight')!.ne).to.deep.equal([172, 64]);
      expect(g.tensors.get('token_embd.weight')!.ne).to.deep.equal([64, 512]);
      expect(g.tensors.size).to.equal(1 + 5 * 9 + 1);
      for (const t of g.tensors.values()) expect(t.offset % 32, t.name).to.equal(0);
      expect(q.offset).to.be.greaterThan(0);
    });

    it('pieces use U+2581 for spaces; <unk> <s> </s> are unknown/control, <0xNN> are bytes, the rest normal', () => {
      const m = readGgufFile(file('f32.gguf')).metadata;
      const tokens = (m.get('tokenizer.ggml.tokens')!.value as string[]).map(text);
      const types = m.get('tokenizer.ggml.token_type')!.value as number[];
      const scores = m.get('tokenizer.ggml.scores')!.value as number[];
      expect(tokens.slice(0, 4)).to.deep.equal(['<unk>', '<s>', '</s>', '<0x00>']);
      expect(types.slice(0, 4)).to.deep.equal([TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL, TokenType.BYTE]);
      expect(tokens[258]).to.equal('<0xFF>');
      expect(types[258]).to.equal(TokenType.BYTE);
      expect([tokens[259], tokens[261], tokens[403]]).to.deep.equal(['\u2581t', '\u2581a', '\u2581Once']);
      expect(types.slice(259).every((t) => t === TokenType.NORMAL)).to.equal(true);
      expect(tokens.some((t) => t.includes(' '))).to.equal(false);
      expect(Float32Array.from(scores)).to.deep.equal(vocab.scores);
    });

    it('shortestFloat32 gives the short decimal of a float32 value', () => {
      expect(shortestFloat32(Math.fround(1e-5))).to.equal(1e-5);
      expect(shortestFloat32(Math.fround(1e-6))).to.equal(1e-6);
      expect(shortestFloat32(10000)).to.equal(10000);
      expect(Math.fround(shortestFloat32(Math.fround(1e-5 / 12)))).to.equal(Math.fround(1e-5 / 12));
    });
  });

  describe('tokenizer from the GGUF metadata', () => {
    let tok: Llama2cTokenizer;
    before(() => {
      tok = new Llama2cTokenizer(readGguf(file('f32.gguf')).vocab);
    });

    it('has the same size and special ids', () => {
      expect([tok.vocabSize, tok.bosId, tok.eosId]).to.deep.equal([512, 1, 2]);
    });

    it(`encodes ${TOKENIZER_TEXTS.length + 2} varied strings exactly like tok512.bin (run.c), and decodes them alike`, () => {
      for (const s of [...TOKENIZER_TEXTS, 'a\n<s>\nb', '<0x41>']) {
        expect([...tok.encode(s)], JSON.stringify(s)).to.deep.equal([...ref.encode(s)]);
        expect([...tok.encode(s, { bos: false })], JSON.stringify(s)).to.deep.equal([...ref.encode(s, { bos: false })]);
        const ids = ref.encode(s);
        expect(decodeText(tok, ids), JSON.stringify(s)).to.equal(decodeText(ref, ids));
      }
    });

    it('encodes 2000 pseudo-random strings of pieces and characters exactly like run.c', () => {
      const pieces = vocab.pieces.slice(259).map((p) => Buffer.from(p).toString('utf8'));
      const chars = [...' abcxyzTLS.,!?\'"\n0189-é😀中—…\u2009<>s/'];
      let seed = 777;
      const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
      for (let k = 0; k < 2000; k++) {
        let s = '';
        for (let j = rnd(12) + 1; j > 0; j--) s += rnd(3) ? pieces[rnd(pieces.length)] : chars[rnd(chars.length)];
        const [a, b] = [[...ref.encode(s)], [...tok.encode(s)]];
        if (a.join() !== b.join()) expect.fail(`${JSON.stringify(s)}: run.c ${a.join(',')}, GGUF ${b.join(',')}`);
      }
    });

    it('prints every token like run.c (after BOS and after another token)', () => {
      for (let t = 0; t < 512; t++) {
        for (const prev of [1, 100]) expect(Buffer.from(tok.pieceBytes(prev, t)).equals(Buffer.from(ref.pieceBytes(prev, t))), `token ${t}`).to.equal(true);
      }
    });
  });

  describe('loading through models.ts and the engine', () => {
    it('a .gguf path and a folder holding one .gguf load as format gguf', async () => {
      const m = await loadModel(file('f32.gguf'));
      expect([m.format, m.id, m.path]).to.deep.equal(['gguf', 'f32', file('f32.gguf')]);
      expect(m.vocab?.pieces.length).to.equal(512);
      mkdirSync(file('dir'));
      writeFileSync(file('dir/model.gguf'), readFileSync(file('f32.gguf')));
      expect(resolveModel(file('dir'))).to.deep.equal({ format: 'gguf', id: 'dir', path: file('dir/model.gguf') });
      writeFileSync(file('dir/other.gguf'), Buffer.alloc(0));
      expect(() => resolveModel(file('dir'))).to.throw(ModelFileError, /several GGUF files \(model\.gguf, other\.gguf\)/);
    });

    it('round trip: identical logits on a random tree (bit for bit) and identical greedy text', async () => {
      const small = await loadModel(modelFile('stories260K'));
      const g = await loadModel(file('f32.gguf'));
      const [a, b] = [await engine(small), await engine(g)];
      const prompt = g.tokenizer.encode('Once upon a time');
      expect([...prompt]).to.deep.equal([...small.tokenizer.encode('Once upon a time')]);
      const tree = randomTree(createRng(11), 32, 8, 512);
      const la = await (await a.open(prompt)).score(tree);
      const lb = await (await b.open(prompt)).score(tree);
      for (let r = 0; r < la.rows; r++) expect(maxAbsDiff(la.row(r), lb.row(r)), `row ${r}`).to.equal(0);
      const ga = await generateIncremental(a, prompt, { maxTokens: 64, stopTokens: [1] });
      const gb = await generateIncremental(b, prompt, { maxTokens: 64, stopTokens: [1] });
      expect([...gb.tokens]).to.deep.equal([...ga.tokens]);
      await a.dispose();
      await b.dispose();
    });

    it('F16: logits within F16 rounding of the F32 model, same greedy text on 64 tokens', async () => {
      const [a, b] = [await engine(await loadModel(file('f32.gguf'))), await engine(await loadModel(file('f16.gguf')))];
      const prompt = ref.encode('Tom and his dog');
      const tree = randomTree(createRng(12), 24, 6, 512);
      const la = await (await a.open(prompt)).score(tree);
      const lb = await (await b.open(prompt)).score(tree);
      for (let r = 0; r < la.rows; r++) expect(maxAbsDiff(la.row(r), lb.row(r)), `row ${r}`).to.be.below(0.05);
      const ga = await generateIncremental(a, prompt, { maxTokens: 64, stopTokens: [1] });
      const gb = await generateIncremental(b, prompt, { maxTokens: 64, stopTokens: [1] });
      expect([...gb.tokens]).to.deep.equal([...ga.tokens]);
      await a.dispose();
      await b.dispose();
    });

    it('a Hugging Face folder exports too: vocabulary derived from tokenizer.json encodes the same', async () => {
      writeHfFolder(file('hf'), weights, vocab);
      const hf = await loadModel(file('hf'));
      expect(hf.vocab).to.equal(undefined);
      writeGguf(file('from-hf.gguf'), hf.weights, modelVocab(hf));
      const g = await loadModel(file('from-hf.gguf'));
      for (const [n, a] of arrays(g.weights)) expect(bytesOf(a).equals(bytesOf(arrays(weights).find(([k]) => k === n)![1])), n).to.equal(true);
      for (const s of TOKENIZER_TEXTS) expect([...g.tokenizer.encode(s)], JSON.stringify(s)).to.deep.equal([...ref.encode(s)]);
      const tokens = (readGgufFile(file('from-hf.gguf')).metadata.get('tokenizer.ggml.tokens')!.value as string[]).map(text);
      expect(tokens.slice(0, 3)).to.deep.equal(['<unk>', '<s>', '</s>']);
    });

    it('random:tiny (synthetic byte-level vocabulary) exports and loads back', async () => {
      const r = await loadModel('random:tiny:3');
      writeGguf(file('tiny.gguf'), r.weights, modelVocab(r));
      const g = await loadModel(file('tiny.gguf'));
      expect(g.weights.config).to.deep.equal(r.weights.config);
      expect([...g.tokenizer.encode('Hi there! 😀')]).to.deep.equal([...r.tokenizer.encode('Hi there! 😀')]);
    });
  });

  describe('errors (ModelFileError naming the file)', () => {
    const broken = (name: string, edit: (b: Buffer) => Buffer): string => {
      const f = file(name);
      writeFileSync(f, edit(Buffer.from(readFileSync(file('f32.gguf')))));
      return f;
    };
    const fails = (f: string, re: RegExp): void => {
      expect(() => readGguf(f)).to.throw(ModelFileError, re);
      try {
        readGguf(f);
      } catch (e) {
        expect((e as ModelFileError).file).to.equal(f);
        expect((e as Error).message.startsWith(`${f}: `)).to.equal(true);
      }
    };

    it('bad magic', () => {
      fails(
        broken('magic.gguf', (b) => (b.write('GGML', 0, 'latin1'), b)),
        /not a GGUF file: it starts with "GGML", not the magic "GGUF"/,
      );
      fails(
        broken('empty.gguf', () => Buffer.alloc(0)),
        /not a GGUF file/,
      );
    });

    it('unsupported version', () => {
      fails(
        broken('v4.gguf', (b) => (b.writeUInt32LE(4, 4), b)),
        /unsupported GGUF version 4 \(supported: 2 and 3\)/,
      );
      fails(
        broken('v1.gguf', (b) => (b.writeUInt32LE(1, 4), b)),
        /unsupported GGUF version 1 .*re-convert/,
      );
    });

    it('a tensor of an unsupported quantized type: the supported ones are named', () => {
      const f = broken('q2k.gguf', (b) => (b.writeUInt32LE(10, tensorTypeOffset(b, 'blk.0.attn_q.weight')), b));
      fails(f, /tensor "blk\.0\.attn_q\.weight" has type Q2_K; supported: F32, F16, and Q4_0 \/ Q5_0 \/ Q8_0 \/ Q4_K \/ Q5_K \/ Q6_K matrices/);
    });

    it('truncated file: in the tensor data, and in the metadata', () => {
      fails(
        broken('cut-data.gguf', (b) => b.subarray(0, b.length - 5000)),
        /truncated: tensor "[^"]+" needs bytes/,
      );
      fails(
        broken('cut-meta.gguf', (b) => b.subarray(0, 300)),
        /truncated: the file ends \(300 bytes\) while reading/,
      );
    });

    it('an architecture other than llama', () => {
      const f = broken('gemma.gguf', (b) => {
        const at = b.indexOf('general.architecture') + 'general.architecture'.length + 4 + 8;
        b.write('gemma', at, 'latin1');
        return b;
      });
      fails(f, /architecture "gemma" is not supported \(only "llama"/);
    });

    it('a missing tensor', () => {
      const f = broken('missing.gguf', (b) => (b.write('blk.3.ffn_UP.weight', b.indexOf('blk.3.ffn_up.weight'), 'latin1'), b));
      fails(f, /tensor "blk\.3\.ffn_up\.weight" is missing \(expected ggml shape \[64, 172\]\)/);
    });

    it('a missing file, and loadModel names the file', async () => {
      fails(file('nope.gguf'), /GGUF file not found/);
      let err: Error | null = null;
      await loadModel(file('magic.gguf')).catch((e: Error) => (err = e));
      expect(err).to.be.instanceOf(ModelFileError);
      expect(String(err)).to.contain(file('magic.gguf'));
    });
  });
});
