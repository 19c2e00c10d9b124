/**
 * Building ONNX graphs from TypeScript: named values with static shapes (a batch dimension may
 * be symbolic), nodes, constants, graph inputs and outputs, sub-graphs (the body of a Loop),
 * serialised to a ModelProto by onnx-proto. Every value also knows the tape it was recorded on
 * (./tape.ts), so the ops (./ops.ts) can emit their backward passes.
 *
 * Numbers: every float constant is float32 (ONNX Runtime rejects graphs that mix float and
 * double); index constants are int64.
 */
import onnxProto from 'onnx-proto';
import { Tape } from './tape.js';

const { onnx } = onnxProto;

/** The opset our graphs use (ReduceSum takes axes as an input; ReduceMean as an attribute). */
export const OPSET = 15;
/** IR version of the onnx-proto schema (ONNX 1.10). */
const IR_VERSION = 8;

/** A dimension: a size, or a name for a size only known when the graph runs (the batch). */
export type Dim = number | string;
export type Shape = Dim[];

/**
 * The graph a node on these inputs belongs in: the innermost of theirs (a Loop body may read
 * the values of the graphs around it, not the other way round).
 */
export function scopeOf(...values: (Value | '')[]): Graph {
  let graph: Graph | null = null;
  for (const v of values) if (v !== '' && (!graph || v.graph.depth > graph.depth)) graph = v.graph;
  if (!graph) throw new Error('scopeOf: no values');
  return graph;
}

/** A value in a graph: its name and static shape. */
export class Value {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly shape: Shape,
    readonly type: 'float' | 'int64' | 'bool' = 'float',
    /** The values, for weights baked into the graph (ops may derive other constants from them). */
    readonly data?: Float32Array,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** The size of every dimension when all are known, else null. */
  get staticShape(): number[] | null {
    return this.shape.every((d) => typeof d === 'number') ? (this.shape as number[]) : null;
  }
}

/** An attribute of a node, tagged with its ONNX type. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'graph'; value: Graph };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  graph: (value: Graph): Attr => ({ kind: 'graph', value }),
};

const ELEM_TYPE = { float: 1, int64: 7, bool: 9 } as const;

function valueInfo(v: { name: string; shape: Shape; type: Value['type'] }): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'graph':
      return { name, type: T.GRAPH, g: a.value.toProto() };
  }
}

/**
 * A graph under construction. The root graph owns the tape and the name counter; a sub-graph
 * (`subgraph()`) shares both, so names stay unique across scopes and the body of a Loop can
 * read values of the graph around it by name.
 */
export class Graph {
  readonly tape: Tape;
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly scalars = new Map<string, Value>();
  private readonly counter: { next: number };
  /** 0 for the root graph, 1 for a sub-graph of it, … */
  readonly depth: number;

  constructor(
    readonly name = 'dggf',
    parent?: Graph,
  ) {
    this.tape = parent ? parent.tape : new Tape();
    this.counter = parent ? parent.counter : { next: 0 };
    this.depth = parent ? parent.depth + 1 : 0;
  }

  /** A fresh, unique value name. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter.next++}`;
  }

  /** A graph input. */
  input(name: string, shape: Shape, type: Value['type'] = 'float'): Value {
    const v = new Value(this, name, shape, type);
    this.inputs.push(v);
    return v;
  }

  /** Marks `v` as a graph output under `name` (through an Identity node when renamed). */
  output(v: Value, name = v.name): Value {
    const out = name === v.name ? v : this.node('Identity', [v], {}, [v.shape], name, [v.type])[0];
    this.outputs.push(out);
    return out;
  }

  /** A float32 constant (scalars are shared). */
  constant(values: number[] | Float32Array, shape: number[] = [values.length]): Value {
    const key = shape.length === 0 ? `f${values[0]}` : null;
    const cached = key ? this.scalars.get(key) : undefined;
    if (cached) return cached;
    const name = this.fresh('const');
    this.initializers.push({ name, dataType: ELEM_TYPE.float, dims: shape, floatData: Array.from(values) });
    const v = new Value(this, name, shape);
    if (key) this.scalars.set(key, v);
    return v;
  }

  /** A float32 initializer holding `values` as raw bytes (weights baked into a graph). */
  weights(name: string, values: Float32Array, shape: number[]): Value {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dataType: ELEM_TYPE.float, dims: shape, rawData: bytes });
    return new Value(this, name, shape, 'float', values);
  }

  /** An int64 constant (shapes, axes, indices). */
  int64(values: number[], shape: number[] = [values.length]): Value {
    const key = `i${shape.join('x')}:${values.join(',')}`;
    const cached = this.scalars.get(key);
    if (cached) return cached;
    const name = this.fresh('ints');
    this.initializers.push({ name, dataType: ELEM_TYPE.int64, dims: shape, int64Data: values });
    const v = new Value(this, name, shape, 'int64');
    this.scalars.set(key, v);
    return v;
  }

  /** A scalar float32 constant. */
  scalar(value: number): Value {
    return this.constant([value], []);
  }

  /**
   * A node `op` on `inputs` ('' for an omitted optional input) with one output per entry of
   * `shapes`. Returns the outputs. Records nothing on the tape (see ./ops.ts for that).
   */
  node(
    op: string,
    inputs: (Value | '')[],
    attrs: Record<string, Attr>,
    shapes: Shape[],
    name?: string,
    types: Value['type'][] = [],
    domain?: string,
  ): Value[] {
    const outs = shapes.map((s, i) => new Value(this, i === 0 && name ? name : this.fresh(op.toLowerCase()), s, types[i] ?? 'float'));
    this.nodes.push({
      opType: op,
      input: inputs.map((v) => (v === '' ? '' : v.name)),
      output: outs.map((o) => o.name),
      attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)),
      ...(domain ? { domain } : {}),
    });
    return outs;
  }

  /** A sub-graph (e.g. a Loop body) that shares names and the tape with this graph. */
  subgraph(name: string): Graph {
    return new Graph(name, this);
  }

  toProto(): onnxProto.onnx.IGraphProto {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    };
  }

  /** The serialised ModelProto. */
  toModel(): Uint8Array {
    return onnx.ModelProto.encode({
      irVersion: IR_VERSION,
      producerName: 'dggf',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: this.toProto(),
    }).finish();
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}
