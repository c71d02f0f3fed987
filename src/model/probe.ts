/**
 * What a model reference points to, from its header only (no weights read):
 * for validating experiment files before anything loads. llama2.c: the
 * 28-byte header; Hugging Face: config.json; GGUF: the metadata (through the
 * GGUF reader); random: the preset.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { ModelFileError } from '../core/errors.js';
import { readGgufFile, type GgufValue } from './formats/gguf.js';
import { readHfConfig } from './formats/hf.js';
import { resolveModel, type ModelFormat } from './models.js';

export interface ModelProbe {
  readonly id: string;
  readonly format: ModelFormat;
  /** The checkpoint file, folder or reference. */
  readonly path: string;
  readonly vocabSize: number;
  readonly nLayers: number;
  readonly maxContext: number;
}

/** Resolves `ref` (ModelFileError / ConfigError as loadModel would throw) and reads its sizes from the header. */
export function probeModel(ref: string): ModelProbe {
  const r = resolveModel(ref);
  switch (r.format) {
    case 'random':
      return { id: r.id, format: r.format, path: r.path, vocabSize: r.config.vocabSize, nLayers: r.config.nLayers, maxContext: r.config.maxSeqLen };
    case 'hf': {
      const c = readHfConfig(path.join(r.path, 'config.json')).llama;
      return { id: r.id, format: r.format, path: r.path, vocabSize: c.vocabSize, nLayers: c.nLayers, maxContext: c.maxSeqLen };
    }
    case 'gguf':
      return { id: r.id, format: r.format, path: r.path, ...ggufSizes(r.path) };
    case 'llama2c':
      return { id: r.id, format: r.format, path: r.path, ...llama2cSizes(r.path) };
  }
}

/** vocab_size (absolute: negative means an untied classifier), n_layers and max_seq_len of a llama2.c header. */
function llama2cSizes(file: string): { vocabSize: number; nLayers: number; maxContext: number } {
  const header = Buffer.alloc(28);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 28, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 28) throw new ModelFileError(file, `file has ${read} bytes, shorter than the 28-byte llama2.c header (not a llama2.c checkpoint, or truncated)`);
  const int = (i: number) => header.readInt32LE(i * 4);
  const sizes = { nLayers: int(2), vocabSize: Math.abs(int(5)), maxContext: int(6) };
  if (!(sizes.nLayers > 0 && sizes.vocabSize > 0 && sizes.maxContext > 0)) {
    throw new ModelFileError(file, `invalid llama2.c header (n_layers ${sizes.nLayers}, vocab_size ${int(5)}, max_seq_len ${sizes.maxContext})`);
  }
  return sizes;
}

function ggufSizes(file: string): { vocabSize: number; nLayers: number; maxContext: number } {
  const g = readGgufFile(file);
  const num = (key: string): number | undefined => {
    const v: GgufValue | undefined = g.metadata.get(key)?.value;
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  };
  const arch = g.metadata.get('general.architecture')?.value;
  const prefix = typeof arch === 'string' ? arch : 'llama';
  const tokens = g.metadata.get('tokenizer.ggml.tokens')?.value;
  const vocabSize = num(`${prefix}.vocab_size`) ?? (Array.isArray(tokens) ? tokens.length : g.tensors.get('token_embd.weight')?.ne[1]);
  const nLayers = num(`${prefix}.block_count`);
  const maxContext = num(`${prefix}.context_length`);
  if (vocabSize === undefined || nLayers === undefined || maxContext === undefined) {
    throw new ModelFileError(file, `GGUF metadata lacks the vocabulary size, ${prefix}.block_count or ${prefix}.context_length`);
  }
  return { vocabSize, nLayers, maxContext };
}
