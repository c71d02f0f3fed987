import onnxProto from 'onnx-proto';
import type { InitializerSink } from './spill.js';

const { onnx } = onnxProto;
type AttrValue = number | number[] | string;
type Dim = number | string;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const UINT8 = onnx.TensorProto.DataType.UINT8;

export type ElemType = 'float32' | 'int64';

/** An in-memory external-data file of a model: `data` are the bytes the model's TensorProtos refer to by `path`. */
interface ExternalFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** A ModelProto's bytes and the in-memory files its external initializers are in. */
export interface SerializedModel {
  readonly bytes: Uint8Array;
  readonly external: readonly ExternalFile[];
}

/** Opset of the default ONNX domain used by every graph the project builds. */
const OPSET = 15;

/**
 * A small builder for ONNX graphs: values are named by strings, every op call
 * appends one node and returns its output names. Weights go in as raw
 * little-endian initializers (no copies through protobuf number arrays).
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private readonly domains = new Map<string, number>();

  /**
   * `opset`: version of the default ONNX domain. `sink`: where initializers of
   * at least sink.minBytes bytes are written as they are added (the builder
   * keeps only their place in its file; see spill.ts).
   */
  constructor(
    private readonly name: string,
    private readonly opset: number = OPSET,
    private readonly sink?: InitializerSink,
  ) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 initializer of the given shape. */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    return this.raw(name, FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** A uint8 initializer of the given shape (packed quantized weights). */
  bytes(name: string, data: Uint8Array, dims: readonly number[]): string {
    return this.raw(name, UINT8, dims, data);
  }

  /** An initializer of raw little-endian bytes: into the sink's file when it is large enough, else kept for the model. */
  private raw(name: string, dataType: number, dims: readonly number[], data: Uint8Array): string {
    if (this.sink === undefined || data.byteLength < this.sink.minBytes) {
      this.initializers.push({ name, dataType, dims: [...dims], rawData: data });
      return name;
    }
    const ref = this.sink.write(data);
    this.initializers.push({ name, dataType, dims: [...dims], ...externalData(ref.location, ref.offset, ref.length) });
    return name;
  }

  /** An int64 constant (shapes, axes). */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh('const_i64');
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dataType: INT64, dims: [...dims], rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** A float32 scalar or vector constant. */
  float(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.weight(this.fresh('const_f32'), Float32Array.from(values), dims);
  }

  /**
   * Appends one node; returns its output value names. `type` is an op of the
   * default domain, or `domain:Op` (e.g. `com.microsoft:RotaryEmbedding`, imported at version 1).
   * An empty input name marks an omitted optional input.
   */
  op(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, nOut = 1, outNames?: string[]): string[] {
    const colon = type.lastIndexOf(':');
    const domain = colon < 0 ? '' : type.slice(0, colon);
    const opType = type.slice(colon + 1);
    if (domain !== '') this.domains.set(domain, 1);
    const outputs = outNames ?? Array.from({ length: nOut }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      domain,
      name: this.fresh(`n_${opType}`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** Single-output shorthand for `op`. */
  op1(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    return this.op(type, inputs, attrs, 1, outName === undefined ? undefined : [outName])[0];
  }

  /** Serialized ModelProto bytes, every initializer inside. */
  toBytes(): Uint8Array {
    return this.toModel(Infinity).bytes;
  }

  /**
   * The ModelProto with initializers of at least `externalMinBytes` bytes as
   * external data: each refers to its own in-memory file (`external`, path
   * `init_<i>`, offset 0), whose bytes are the initializer's own array (no copy).
   */
  toModel(externalMinBytes: number): SerializedModel {
    const external: ExternalFile[] = [];
    const initializers = this.initializers.map((t) => {
      const raw = t.rawData;
      // Initializers already in the sink's file (raw undefined) stay where they are.
      if (raw === undefined || raw === null || raw.byteLength < externalMinBytes) return t;
      const path = `init_${external.length}`;
      external.push({ path, data: raw });
      return { ...t, rawData: undefined, ...externalData(path, 0, raw.byteLength) };
    });
    return { bytes: this.encode(initializers), external };
  }

  private encode(initializers: onnxProto.onnx.ITensorProto[]): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: this.opset >= 23 ? 11 : 8,
      producerName: 'specinfer-ts',
      opsetImport: [{ domain: '', version: this.opset }, ...[...this.domains].map(([domain, version]) => ({ domain, version }))],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** A TensorProto's fields for data at `offset` (bytes) of the external file `location`. */
function externalData(location: string, offset: number, length: number): Pick<onnxProto.onnx.ITensorProto, 'dataLocation' | 'externalData'> {
  const entries = [
    ['location', location],
    ['offset', String(offset)],
    ['length', String(length)],
  ];
  return { dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: entries.map(([key, value]) => ({ key, value })) };
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type === 'float32' ? FLOAT : INT64,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (Number.isInteger(v)) return { name, type: T.INT, i: v };
  return { name, type: T.FLOAT, f: v };
}
