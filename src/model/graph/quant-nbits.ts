import type { GraphBuilder } from './onnx-graph.js';
import { decodeBlocks, type BlockType } from '../formats/quant-blocks.js';
import type { QuantMatrix } from '../formats/quant.js';

/**
 * The operands of onnxruntime's com.microsoft.MatMulNBits (Y = A B^T, B [N, K]
 * quantized in blocks of `block` along K; the kernel dequantizes
 * B[n, k] = (code - zero point) * scale) holding a GGUF matrix W [N, K], and
 * the per-block minima the kernel has no place for:
 *
 * | type | bits | block | code stored | zero point |
 * |---|---|---|---|---|
 * | Q4_0 | 4 | 32 | q (c + 8) | 8, the 4-bit default (input omitted) |
 * | Q4_K | 4 | 32 | q (c, 0..15) | 0, an explicit uint8 input |
 * | Q8_0, Q5_0, Q5_K | 8 | 32 | c + 128 | 128, the 8-bit default (omitted) |
 * | Q6_K | 8 | 16 | c + 128 | 128 (omitted) |
 *
 * 4-bit codes are packed along K, neighbours k = 2i, 2i + 1 in byte i, low
 * nibble first. Scales are the sub-blocks' float32 s (quant-blocks.ts). Q4_K
 * and Q5_K weights are s * c - m with a float minimum m per block of 32: a float
 * zero point m / s is not an integer (and onnxruntime's CPU kernel takes float
 * zero points only on its unpacked path, dequantizing B to float32 every call),
 * so `mins` [N, K / 32] holds m and the product is completed by
 * Y -= blockSums(A) mins^T (nbitsWeight).
 */
interface NBitsOperands {
  readonly bits: 4 | 8;
  readonly n: number;
  readonly k: number;
  readonly block: 16 | 32;
  readonly b: Uint8Array; // [N, K / block, block * bits / 8]
  readonly scales: Float32Array; // [N * K / block]
  readonly zeroPoints: Uint8Array | null; // [N, ceil(K / block * bits / 8)] packed like B, or null for the default
  readonly mins: Float32Array | null; // [N, K / 32] row-major
}

const NBITS: Readonly<Record<BlockType, { bits: 4 | 8; zero: number }>> = {
  q4_0: { bits: 4, zero: 8 },
  q4_k: { bits: 4, zero: 0 },
  q8_0: { bits: 8, zero: 128 },
  q5_0: { bits: 8, zero: 128 },
  q5_k: { bits: 8, zero: 128 },
  q6_k: { bits: 8, zero: 128 },
};

function nbitsOperands(m: QuantMatrix): NBitsOperands {
  const { bits, zero } = NBITS[m.type];
  const d = decodeBlocks(m.type, m.data, m.rows * m.cols);
  const b = new Uint8Array((d.codes.length * bits) / 8);
  if (bits === 8) for (let i = 0; i < d.codes.length; i++) b[i] = d.codes[i] + zero;
  else for (let i = 0; i < d.codes.length; i++) b[i >> 1] |= (d.codes[i] + zero) << (i & 1 ? 4 : 0);
  const blocksPerRow = m.cols / d.sub;
  const zeroPoints = zero === 1 << (bits - 1) ? null : new Uint8Array(m.rows * Math.ceil((blocksPerRow * bits) / 8));
  return { bits, n: m.rows, k: m.cols, block: d.sub as 16 | 32, b, scales: d.scales, zeroPoints, mins: d.mins };
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
 * `<name>.scales`, `<name>.zero_points`, `<name>.mins`); returns
 * x [.., K] -> x W^T [.., N]: one MatMulNBits node, and for Q4_K / Q5_K the
 * minima's correction in float32: Sub(y, MatMul(ReduceSum over blocks of 32 of x, mins^T [K / 32, N])).
 */
export function nbitsWeight(g: GraphBuilder, w: QuantMatrix, name: string, accuracy: NBitsAccuracy = DEFAULT_NBITS_ACCURACY): (x: string) => string {
  const o = nbitsOperands(w);
  const blocks = o.k / o.block;
  const inputs = [g.bytes(`${name}.qweight`, o.b, [o.n, blocks, o.b.length / (o.n * blocks)]), g.weight(`${name}.scales`, o.scales, [o.n * blocks])];
  if (o.zeroPoints) inputs.push(g.bytes(`${name}.zero_points`, o.zeroPoints, [o.zeroPoints.length]));
  const attrs = { K: o.k, N: o.n, bits: o.bits, block_size: o.block, accuracy_level: accuracy };
  const product = (x: string) => g.op1('com.microsoft:MatMulNBits', [x, ...inputs], attrs);
  if (!o.mins) return product;
  const minsT = g.weight(`${name}.mins`, transpose(o.mins, o.n, o.k / 32), [o.k / 32, o.n]);
  return (x) => g.op1('Sub', [product(x), g.op1('MatMul', [blockSums(g, x, o.k / 32, 32), minsT])]);
}

/** x [.., blocks * size] -> [.., blocks]: the sums of consecutive runs of `size` values. */
function blockSums(g: GraphBuilder, x: string, blocks: number, size: number): string {
  const shape = g.op1('Concat', [g.op1('Shape', [x], { end: -1 }), g.int64([blocks, size])], { axis: 0 });
  return g.op1('ReduceSum', [g.op1('Reshape', [x, shape]), g.int64([-1])], { keepdims: 0 });
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}
