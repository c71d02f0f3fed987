import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFileError } from '../../core/errors.js';
import { readFully } from './bounds.js';
import { lazyQuantMatrix, type QuantMatrix } from './quant.js';

/** Closes a store's file once no matrix of it is reachable. */
const closer = new FinalizationRegistry<number>((fd) => closeSync(fd));

/**
 * Quantized matrices made at load time (`weights: q8_0 | q4_0` on a float
 * model), kept in an unnamed temporary file instead of memory, as a GGUF
 * file's own matrices stay in that file (lazyQuantMatrix): each matrix reads
 * its blocks back when used, so a loaded model holds no second copy of them
 * while onnxruntime, which has its own, runs. The file is created in the
 * system's temporary folder and unlinked at once (its space is freed with the
 * last matrix, or at exit); on a tmpfs /tmp its blocks live in shared memory.
 */
export class QuantStore {
  private readonly fd: number;
  private readonly name: string;
  private size = 0;

  constructor() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-blocks-'));
    this.name = path.join(dir, 'blocks.bin');
    try {
      this.fd = openSync(this.name, 'w+');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    closer.register(this, this.fd);
  }

  /** `m` backed by this store's file (its blocks written once, read back on each access of `data`). */
  keep(m: QuantMatrix): QuantMatrix {
    const data = m.data;
    const offset = this.size;
    for (let done = 0; done < data.byteLength;) done += writeSync(this.fd, data, done, data.byteLength - done, offset + done);
    this.size += data.byteLength;
    const length = data.byteLength; // the closure must not hold `m` (and its blocks)
    return lazyQuantMatrix(m.type, m.rows, m.cols, () => this.read(offset, length));
  }

  private read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    readFully(this.fd, out, offset, () => new ModelFileError(this.name, `quantized blocks ${offset}..${offset + length} are missing from the temporary file (was it truncated?)`));
    return out;
  }
}
