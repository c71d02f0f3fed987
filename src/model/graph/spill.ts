import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Where one spilled initializer's bytes are: `location` (relative to the model file), `offset` and `length` in bytes. */
export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * Where a GraphBuilder writes initializers of at least `minBytes` bytes as it
 * builds, so that a graph's weight operands (transposed, stacked or repacked
 * copies of the model's weights) are never all in memory: each becomes garbage
 * once written, and onnxruntime reads them from the file (ONNX external data).
 */
export interface InitializerSink {
  readonly minBytes: number;
  write(data: Uint8Array): ExternalRef;
}

/**
 * Data are placed at multiples of this many bytes (a page), so that onnxruntime
 * may map them instead of reading them into buffers of its own.
 */
const ALIGN = 4096;

/** An external-data file `<dir>/<name>` that initializers are appended to; close() it before onnxruntime reads it. */
export class SpillFile implements InitializerSink {
  private readonly fd: number;
  private size = 0;

  constructor(
    dir: string,
    private readonly name: string,
    readonly minBytes: number,
  ) {
    this.fd = openSync(path.join(dir, name), 'w');
  }

  write(data: Uint8Array): ExternalRef {
    const offset = Math.ceil(this.size / ALIGN) * ALIGN;
    for (let done = 0; done < data.byteLength;) done += writeSync(this.fd, data, done, data.byteLength - done, offset + done);
    this.size = offset + data.byteLength;
    return { location: this.name, offset, length: data.byteLength };
  }

  close(): void {
    closeSync(this.fd);
  }
}
