/**
 * Writes the K-quant fixture kquant.gguf (made at test time, not committed): a one-layer Llama (dim 256,
 * 4 heads, 1 kv head, hidden 256, stories260K's 512-token vocabulary) whose
 * layer matrices are seeded random blocks of each type the reader maps
 * (wq Q4_K, wk Q5_K, wv Q6_K, wo Q5_0, w1 Q4_K, w2 Q6_K, w3 Q8_0), written
 * by gguf-writer (blocks as they are; embedding F16). Then, from the repo root, run
 *   python3 test/fixtures/kquant/dequantize.py LLAMA_CPP/gguf-py
 * to write reference.f32, gguf-py's dequantization of those tensors (an
 * implementation independent of ours). The file is deterministic; its
 * SHA-256 is pinned (KQUANT_SHA256), so reference.json keeps applying. To
 * write it for the Python script, after `tsc`:
 *   node dist/test/support/make-kquant-fixture.js OUT.gguf
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGguf } from '../../src/model/formats/gguf-writer.js';
import { readLlama2cVocab } from '../../src/model/formats/llama2c-vocab.js';
import { BLOCK_LAYOUTS } from '../../src/model/formats/quant-blocks.js';
import { quantize, type BlockType, type QuantMatrix } from '../../src/model/formats/quant.js';
import type { LayerWeights, LlamaConfig, Matrix, ModelWeights } from '../../src/model/weights.js';
import { lcg, randomBlock } from './kquant-encode.js';
import { modelFile } from './models-dir.js';

export const KQUANT_FIXTURE = fileURLToPath(new URL('../../../test/fixtures/kquant/', import.meta.url));

export const KQUANT_CONFIG: LlamaConfig = {
  dim: 256,
  hiddenDim: 256,
  nLayers: 1,
  nHeads: 4,
  nKvHeads: 1,
  vocabSize: 512,
  maxSeqLen: 64,
  normEps: 1e-5,
  ropeTheta: 10000,
};

/** Layer matrix -> block type in the fixture (the order reference.f32 holds them in). */
export const KQUANT_TYPES: readonly (readonly [keyof LayerWeights, BlockType])[] = [
  ['wq', 'q4_k'],
  ['wk', 'q5_k'],
  ['wv', 'q6_k'],
  ['wo', 'q5_0'],
  ['w1', 'q4_k'],
  ['w2', 'q6_k'],
  ['w3', 'q8_0'],
];

/**
 * test/fixtures/kquant/llama-q4_k_m.gguf: randomWeights(LLAMA_FIXTURE_CONFIG, LLAMA_FIXTURE_SEED) with
 * stories260K's vocabulary written as F32 by writeGguf, then quantized by llama.cpp's own
 * `llama-quantize IN OUT Q4_K_M` (llama.cpp 80fb11a, the source node-llama-cpp 3.21.1 ships; see
 * the fixture's README.md): Q4_K, Q6_K (attn_v, token_embd) and, for ffn_down whose 288-weight rows
 * are not whole 256-blocks, llama-quantize's fallback Q8_0.
 */
export const LLAMA_FIXTURE_CONFIG: LlamaConfig = { ...KQUANT_CONFIG, hiddenDim: 288 };
export const LLAMA_FIXTURE_SEED = 2026;

function randomMatrix(type: BlockType, rows: number, cols: number, next: () => number): QuantMatrix {
  if (type === 'q8_0')
    return quantize(
      'q8_0',
      Float32Array.from({ length: rows * cols }, () => (next() * 2 - 1) / 8),
      rows,
      cols,
    );
  const l = BLOCK_LAYOUTS[type];
  const blocks = (rows * cols) / l.weights;
  const data = new Uint8Array(blocks * l.bytes);
  for (let b = 0; b < blocks; b++) data.set(randomBlock(type as 'q4_k', next), b * l.bytes);
  return { type, rows, cols, data };
}

/** SHA-256 of kquant.gguf as gguf-py dequantized it for reference.json. */
export const KQUANT_SHA256 = 'ba30f9d31e51cdd4a3ed95452849652c015e19445e6014a425366d933b35156e';

/** Writes the fixture to `file`. */
function writeKquantFixture(file: string): void {
  const c = KQUANT_CONFIG;
  const next = lcg(2026);
  const vec = (n: number, scale: number, base = 0) => Float32Array.from({ length: n }, () => base + (next() * 2 - 1) * scale);
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const rows: Record<string, number> = { wq: c.dim, wk: kv, wv: kv, wo: c.dim, w1: c.hiddenDim, w2: c.dim, w3: c.hiddenDim };
  const layer: Record<string, Matrix> = { attnNorm: vec(c.dim, 0.2, 1), ffnNorm: vec(c.dim, 0.2, 1) };
  for (const [f, type] of KQUANT_TYPES) layer[f] = randomMatrix(type, rows[f], f === 'w2' ? c.hiddenDim : c.dim, next);
  const embedding = vec(c.vocabSize * c.dim, 1);
  const w: ModelWeights = {
    config: c,
    tokenEmbedding: embedding,
    classifier: embedding,
    finalNorm: vec(c.dim, 0.2, 1),
    layers: [layer as unknown as LayerWeights<Matrix>],
  };
  writeGguf(file, w, readLlama2cVocab(modelFile('stories260K/tok512.bin'), c.vocabSize), { name: 'kquant-fixture', dtype: 'F16', keepBlocks: true });
}

/** The path of kquant.gguf, written once per process into the temp folder; an Error if its bytes are not the pinned ones. */
export function kquantFixtureFile(): string {
  const file = path.join(tmpdir(), `specinfer-kquant-${process.pid}.gguf`);
  if (!existsSync(file)) {
    writeKquantFixture(file);
    process.once('exit', () => rmSync(file, { force: true }));
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (sha !== KQUANT_SHA256) throw new Error(`${file}: SHA-256 ${sha}, not the ${KQUANT_SHA256} that reference.json was made from`);
  }
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeKquantFixture(process.argv[2] ?? 'kquant.gguf');
