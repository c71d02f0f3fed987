import { existsSync, readFileSync, statSync } from 'node:fs';
import { ModelFileError } from '../../core/errors.js';
import { checkedProduct } from './bounds.js';
import type { LayerWeights, LlamaConfig, LlamaWeights } from '../weights.js';

/** Bytes of the legacy header: 7 x int32. */
const HEADER_BYTES = 28;
const HEADER_FIELDS = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'max_seq_len'] as const;

/** The 7 header values as stored (vocab_size may be negative: untied classifier). */
interface Llama2cHeader {
  dim: number;
  hidden_dim: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  vocab_size: number;
  max_seq_len: number;
}

/**
 * Reads a llama2.c legacy (version 0) checkpoint: 7 x int32 header, then the
 * float32 arrays in run.c's order (see models/README.md). The
 * legacy freq_cis arrays are skipped; a negative vocab_size means an untied
 * classifier `wcls` follows them. All returned arrays are views into one
 * aligned copy of the file's weights. normEps 1e-5, ropeTheta 10000 (run.c's).
 * Throws ModelFileError (naming the file) for a missing, short or inconsistent file.
 */
export function readLlama2cCheckpoint(file: string): LlamaWeights {
  if (!existsSync(file)) throw new ModelFileError(file, 'checkpoint file not found');
  if (!statSync(file).isFile()) throw new ModelFileError(file, 'is not a file (expected a llama2.c .bin checkpoint)');
  const buf = readFileSync(file);
  const header = readHeader(file, buf);
  const config = toConfig(file, header);
  const tied = header.vocab_size > 0;
  const floats = expectedFloats(file, header, config, tied);
  checkSize(file, header, floats * 4, buf.byteLength - HEADER_BYTES);
  const data = floatView(buf, HEADER_BYTES, floats);
  return sliceWeights(config, tied, data);
}

function readHeader(file: string, buf: Buffer): Llama2cHeader {
  if (buf.byteLength < HEADER_BYTES) {
    throw new ModelFileError(file, `file has ${buf.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte llama2.c header (not a llama2.c checkpoint, or truncated)`);
  }
  if (buf.toString('latin1', 0, 4) === '24ka') {
    // run.c's export.py version 1/2 files start with the magic 0x616b3432 ("ak42" as a little-endian int).
    throw new ModelFileError(file, 'is a llama2.c version 1/2 export (magic "ak42"); only the legacy version 0 format is supported (export with --version 0)');
  }
  const v = HEADER_FIELDS.map((_, i) => buf.readInt32LE(i * 4));
  return {
    dim: v[0],
    hidden_dim: v[1],
    n_layers: v[2],
    n_heads: v[3],
    n_kv_heads: v[4],
    vocab_size: v[5],
    max_seq_len: v[6],
  };
}

function toConfig(file: string, h: Llama2cHeader): LlamaConfig {
  const bad = (what: string): never => {
    throw new ModelFileError(file, `invalid llama2.c header (${describe(h)}): ${what}`);
  };
  for (const k of HEADER_FIELDS) {
    if (k === 'vocab_size' ? h[k] === 0 : h[k] <= 0) bad(`${k} must be ${k === 'vocab_size' ? 'non-zero' : 'positive'}`);
  }
  if (h.dim % h.n_heads !== 0) bad(`dim ${h.dim} is not a multiple of n_heads ${h.n_heads}`);
  if (h.n_heads % h.n_kv_heads !== 0) bad(`n_heads ${h.n_heads} is not a multiple of n_kv_heads ${h.n_kv_heads}`);
  if ((h.dim / h.n_heads) % 2 !== 0) bad(`head_dim ${h.dim / h.n_heads} is odd (RoPE rotates pairs)`);
  return {
    dim: h.dim,
    hiddenDim: h.hidden_dim,
    nLayers: h.n_layers,
    nHeads: h.n_heads,
    nKvHeads: h.n_kv_heads,
    vocabSize: Math.abs(h.vocab_size),
    maxSeqLen: h.max_seq_len,
    normEps: 1e-5,
    ropeTheta: 10000,
  };
}

/**
 * Number of float32 values after the header, including the skipped freq_cis
 * arrays; a ModelFileError when the header's dims multiply past 2^53 bytes.
 */
function expectedFloats(file: string, h: Llama2cHeader, c: LlamaConfig, tied: boolean): number {
  const hd = c.dim / c.nHeads;
  const terms = [
    [c.vocabSize, c.dim, tied ? 1 : 2], // token embedding (+ wcls)
    [c.nLayers, 2, c.dim], // rms_att, rms_ffn
    [c.nLayers, c.dim, c.nHeads, hd, 2], // wq, wo
    [c.nLayers, c.dim, c.nKvHeads, hd, 2], // wk, wv
    [c.nLayers, c.dim, c.hiddenDim, 3], // w1, w2, w3
    [c.dim], // rms_final
    [c.maxSeqLen, hd], // freq_cis_real + freq_cis_imag
  ];
  const what = `the weights of the header (${describe(h)})`;
  const total = terms.reduce((sum, t) => sum + checkedProduct(file, what, [...t, 4]), 0);
  return checkedProduct(file, what, [total]) / 4;
}

function checkSize(file: string, h: Llama2cHeader, expected: number, actual: number): void {
  if (expected === actual) return;
  const says = `header says ${expected} bytes of weights (${describe(h)}${h.vocab_size < 0 ? ', untied classifier' : ''}) but the file has ${actual}`;
  if (actual < expected) {
    throw new ModelFileError(file, `truncated: ${says} (${expected - actual} bytes missing; re-download the checkpoint)`);
  }
  throw new ModelFileError(file, `size does not match the header: ${says} (${actual - expected} bytes too many; wrong header or not a legacy llama2.c checkpoint)`);
}

function describe(h: Llama2cHeader): string {
  return HEADER_FIELDS.map((k) => `${k.replace('_size', '').replace('n_layers', 'layers')}=${h[k]}`).join(', ');
}

/** `count` float32 values starting at `byteOffset` of `buf`, copied only if not 4-byte aligned. */
function floatView(buf: Buffer, byteOffset: number, count: number): Float32Array {
  const start = buf.byteOffset + byteOffset;
  if (start % 4 === 0) return new Float32Array(buf.buffer, start, count);
  const copy = new Uint8Array(count * 4);
  copy.set(buf.subarray(byteOffset, byteOffset + count * 4));
  return new Float32Array(copy.buffer);
}

/** Cuts run.c's flat array into per-tensor views (layout: see readLlama2cCheckpoint). */
function sliceWeights(c: LlamaConfig, tied: boolean, data: Float32Array): LlamaWeights {
  const hd = c.dim / c.nHeads;
  const L = c.nLayers;
  let off = 0;
  const take = (n: number): Float32Array => {
    const v = data.subarray(off, off + n);
    off += n;
    return v;
  };
  const tokenEmbedding = take(c.vocabSize * c.dim);
  const stacked = {
    attnNorm: take(L * c.dim),
    wq: take(L * c.nHeads * hd * c.dim),
    wk: take(L * c.nKvHeads * hd * c.dim),
    wv: take(L * c.nKvHeads * hd * c.dim),
    wo: take(L * c.dim * c.nHeads * hd),
    ffnNorm: take(L * c.dim),
    w1: take(L * c.hiddenDim * c.dim),
    w2: take(L * c.dim * c.hiddenDim),
    w3: take(L * c.hiddenDim * c.dim),
  };
  const finalNorm = take(c.dim);
  take(c.maxSeqLen * hd); // freq_cis_real + freq_cis_imag, [max_seq_len, head_dim/2] each
  const classifier = tied ? tokenEmbedding : take(c.vocabSize * c.dim);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < L; l++) {
    const layer = (a: Float32Array): Float32Array => {
      const n = a.length / L;
      return a.subarray(l * n, (l + 1) * n);
    };
    layers.push({
      attnNorm: layer(stacked.attnNorm),
      wq: layer(stacked.wq),
      wk: layer(stacked.wk),
      wv: layer(stacked.wv),
      wo: layer(stacked.wo),
      ffnNorm: layer(stacked.ffnNorm),
      w1: layer(stacked.w1),
      w2: layer(stacked.w2),
      w3: layer(stacked.w3),
    });
  }
  return { config: c, tokenEmbedding, layers, finalNorm, classifier };
}
