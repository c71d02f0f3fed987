import type { GraphBuilder } from './onnx-graph.js';
import { blockScale, codeAt, QK, type QuantMatrix } from './quant.js';

/**
 * The operands of onnxruntime's com.microsoft.MatMulNBits (Y = A B^T, B [N, K]
 * quantized in blocks of 32 along K) holding a GGUF Q8_0 / Q4_0 matrix W [N, K]
 * exactly: MatMulNBits dequantizes B[n, k] = (code - zero point) * scale.
 * - Q4_0: bits 4, codes q (0..15), neighbours k = 2i, 2i + 1 in byte i, low
 *   nibble first; zero point 8 (the kernel's default for 4 bits: input omitted).
 * - Q8_0: bits 8, codes c + 128 (0..255); zero point 128 (the default for 8 bits).
 * Scales are the blocks' f16 d as float32.
 */
export interface NBitsOperands {
  readonly bits: 4 | 8;
  readonly n: number;
  readonly k: number;
  readonly b: Uint8Array; // [N, K / 32, 32 * bits / 8] uint8
  readonly scales: Float32Array; // [N * K / 32]
}

/** MatMulNBits' block size for GGUF blocks. */
export const NBITS_BLOCK = QK;

export function nbitsOperands(m: QuantMatrix): NBitsOperands {
  const bits = m.type === 'q8_0' ? 8 : 4;
  const blocks = (m.rows * m.cols) / QK;
  const blob = (QK * bits) / 8;
  const blockBytes = m.data.length / blocks;
  const b = new Uint8Array(blocks * blob);
  const scales = new Float32Array(blocks);
  for (let i = 0; i < blocks; i++) {
    const at = i * blockBytes;
    scales[i] = blockScale(m.data, at);
    for (let j = 0; j < QK; j++) {
      const code = codeAt(m.type, m.data, at, j) + (bits === 8 ? 128 : 8);
      if (bits === 8) b[i * blob + j] = code;
      else b[i * blob + (j >> 1)] |= j & 1 ? code << 4 : code;
    }
  }
  return { bits, n: m.rows, k: m.cols, b, scales };
}

/**
 * MatMulNBits' accuracy_level: 4 = activations quantized to int8 per block
 * (as llama.cpp's CPU kernels do), the fast path for both bit widths; 0 = float
 * activations (for 8 bits a slow path). Measurements: docs/quantization.md.
 */
export type NBitsAccuracy = 0 | 4;
export const DEFAULT_NBITS_ACCURACY: NBitsAccuracy = 4;

/**
 * Adds W's MatMulNBits operands to the graph (initializers `<name>.qweight`,
 * `<name>.scales`); returns x [.., K] -> x W^T [.., N], one MatMulNBits node per call.
 */
export function nbitsWeight(g: GraphBuilder, w: QuantMatrix, name: string, accuracy: NBitsAccuracy = DEFAULT_NBITS_ACCURACY): (x: string) => string {
  const o = nbitsOperands(w);
  const blocks = o.k / NBITS_BLOCK;
  const b = g.bytes(`${name}.qweight`, o.b, [o.n, blocks, o.b.length / (o.n * blocks)]);
  const scales = g.weight(`${name}.scales`, o.scales, [o.n * blocks]);
  const attrs = { K: o.k, N: o.n, bits: o.bits, block_size: NBITS_BLOCK, accuracy_level: accuracy };
  return (x) => g.op1('com.microsoft:MatMulNBits', [x, b, scales], attrs);
}
