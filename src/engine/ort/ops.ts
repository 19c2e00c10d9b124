/**
 * The differentiable ops our graphs are made of, each emitting its ONNX node(s) and recording
 * its vector–Jacobian product on the tape (./tape.ts). Shapes are tracked statically (a batch
 * dimension may be a name), which is what un-broadcasting and the convolution backward passes
 * need. Images are NCHW here; convolution kernels are ONNX's [cout, cin, kh, kw].
 *
 * Backward passes use ordinary inference ops only (ONNX Runtime's CPU build has no gradient
 * kernels): the input gradient of a convolution is a ConvTranspose, its kernel gradient a
 * convolution of the batch-transposed input with the batch-transposed output gradient.
 */
import { attr, scopeOf, type Dim, type Graph, type Shape, type Value } from './graph.js';

// ---------------------------------------------------------------------------------------------
// shapes

function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da: Dim = a[a.length - rank + i] ?? 1;
    const db: Dim = b[b.length - rank + i] ?? 1;
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (typeof da === 'string') out.push(db);
    else if (typeof db === 'string') out.push(da);
    else throw new Error(`ops: shapes [${a}] and [${b}] do not broadcast`);
  }
  return out;
}

const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** A Reshape target for `shape`: a named (batch) dimension becomes −1 (at most one). */
function reshapeTarget(shape: Shape): number[] {
  const named = shape.filter((d) => typeof d === 'string').length;
  if (named > 1) throw new Error(`ops: cannot reshape to [${shape}] (more than one unknown dimension)`);
  return shape.map((d) => (typeof d === 'string' ? -1 : d));
}

// ---------------------------------------------------------------------------------------------
// raw nodes (not recorded: used by forward ops and by backward passes)

const g = (v: Value): Graph => v.graph;

export const raw = {
  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Value, b: Value): Value {
    return scopeOf(a, b).node(op, [a, b], {}, [broadcastShapes(a.shape, b.shape)])[0];
  },
  unary(op: string, x: Value, attrs = {}): Value {
    return g(x).node(op, [x], attrs, [x.shape])[0];
  },
  scale(x: Value, c: number): Value {
    return c === 1 ? x : raw.binary('Mul', x, g(x).scalar(c));
  },
  reshape(x: Value, shape: Shape): Value {
    if (sameShape(x.shape, shape)) return x;
    return g(x).node('Reshape', [x, g(x).int64(reshapeTarget(shape))], {}, [shape])[0];
  },
  transpose(x: Value, perm: number[]): Value {
    return g(x).node('Transpose', [x], { perm: attr.ints(perm) }, [perm.map((p) => x.shape[p])])[0];
  },
  /** Sum over `axes` (kept as size-1 dimensions when keepdims). */
  reduceSum(x: Value, axes: number[], keepdims: boolean): Value {
    const shape = keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return g(x).node('ReduceSum', [x, g(x).int64(axes)], { keepdims: attr.int(keepdims ? 1 : 0) }, [shape])[0];
  },
  /** The largest element (a scalar). */
  reduceMax(x: Value): Value {
    return g(x).node('ReduceMax', [x], { keepdims: attr.int(0) }, [[]])[0];
  },
  /** x broadcast to `shape` (same rank, or a scalar). */
  expand(x: Value, shape: Shape, like: Value): Value {
    if (sameShape(x.shape, shape)) return x;
    // the target may have a named dimension: take the shape from a value that has it
    const target = g(x).node('Shape', [like], {}, [[shape.length]], undefined, ['int64'])[0];
    return g(x).node('Expand', [x, target], {}, [shape])[0];
  },
  /** a [b, m, k] · b [b, k, n] per batch entry. */
  matMul(a: Value, b: Value): Value {
    return scopeOf(a, b).node('MatMul', [a, b], {}, [[broadcastShapes([a.shape[0]], [b.shape[0]])[0], a.shape[1], b.shape[2]]])[0];
  },
  gemm(a: Value, b: Value, c: Value | null, transA = false, transB = false): Value {
    const m = transA ? a.shape[1] : a.shape[0];
    const n = transB ? b.shape[0] : b.shape[1];
    return scopeOf(a, b).node('Gemm', c ? [a, b, c] : [a, b], { transA: attr.int(transA ? 1 : 0), transB: attr.int(transB ? 1 : 0) }, [[m, n]])[0];
  },
  /** `g` summed down to `shape` (the reverse of broadcasting a value of that shape). */
  unbroadcast(grad: Value, shape: Shape): Value {
    if (sameShape(grad.shape, shape)) return grad;
    const lead = grad.rank - shape.length;
    const axes: number[] = [];
    grad.shape.forEach((d, i) => {
      if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
    });
    const summed = axes.length ? raw.reduceSum(grad, axes, true) : grad;
    return raw.reshape(summed, shape);
  },
};

// ---------------------------------------------------------------------------------------------
// differentiable ops

function record(inputs: Value[], outputs: Value[], vjp: (gs: (Value | null)[], needed: boolean[]) => (Value | null)[]): void {
  inputs[0].graph.tape.record(inputs, outputs, vjp);
}

/** `f()` where `wanted`, else null: backward nodes are emitted only for gradients someone needs. */
const when = (wanted: boolean, f: () => Value): Value | null => (wanted ? f() : null);

export function add(a: Value, b: Value): Value {
  const y = raw.binary('Add', a, b);
  record([a, b], [y], ([gy], [na, nb]) => [when(na, () => raw.unbroadcast(gy!, a.shape)), when(nb, () => raw.unbroadcast(gy!, b.shape))]);
  return y;
}

export function sub(a: Value, b: Value): Value {
  const y = raw.binary('Sub', a, b);
  record([a, b], [y], ([gy], [na, nb]) => [
    when(na, () => raw.unbroadcast(gy!, a.shape)),
    when(nb, () => raw.unbroadcast(raw.unary('Neg', gy!), b.shape)),
  ]);
  return y;
}

export function mul(a: Value, b: Value): Value {
  const y = raw.binary('Mul', a, b);
  record([a, b], [y], ([gy], [na, nb]) => [
    when(na, () => raw.unbroadcast(raw.binary('Mul', gy!, b), a.shape)),
    when(nb, () => raw.unbroadcast(raw.binary('Mul', gy!, a), b.shape)),
  ]);
  return y;
}

/** a / b. */
export function div(a: Value, b: Value): Value {
  const y = raw.binary('Div', a, b);
  record([a, b], [y], ([gy], [na, nb]) => {
    const ga = raw.binary('Div', gy!, b);
    // ∂(a/b)/∂b = −(g/b)·y
    return [when(na, () => raw.unbroadcast(ga, a.shape)), when(nb, () => raw.unbroadcast(raw.unary('Neg', raw.binary('Mul', ga, y)), b.shape))];
  });
  return y;
}

/** c·x for a constant c. */
export function scale(x: Value, c: number): Value {
  if (c === 1) return x;
  const y = raw.scale(x, c);
  record([x], [y], ([gy]) => [raw.scale(gy!, c)]);
  return y;
}

/** x + c for a constant c. */
export function addScalar(x: Value, c: number): Value {
  if (c === 0) return x;
  const y = raw.binary('Add', x, x.graph.scalar(c));
  record([x], [y], ([gy]) => [gy]);
  return y;
}

export function neg(x: Value): Value {
  const y = raw.unary('Neg', x);
  record([x], [y], ([gy]) => [raw.unary('Neg', gy!)]);
  return y;
}

export function exp(x: Value): Value {
  const y = raw.unary('Exp', x);
  record([x], [y], ([gy]) => [raw.binary('Mul', gy!, y)]);
  return y;
}

export function log(x: Value): Value {
  const y = raw.unary('Log', x);
  record([x], [y], ([gy]) => [raw.binary('Div', gy!, x)]);
  return y;
}

export function square(x: Value): Value {
  const y = raw.binary('Mul', x, x);
  record([x], [y], ([gy]) => [raw.binary('Mul', raw.scale(gy!, 2), x)]);
  return y;
}

export function sigmoid(x: Value): Value {
  const y = raw.unary('Sigmoid', x);
  // σ′ = σ(1 − σ)
  record([x], [y], ([gy]) => [raw.binary('Mul', gy!, raw.binary('Mul', y, raw.binary('Sub', x.graph.scalar(1), y)))]);
  return y;
}

export function tanh(x: Value): Value {
  const y = raw.unary('Tanh', x);
  record([x], [y], ([gy]) => [raw.binary('Mul', gy!, raw.binary('Sub', x.graph.scalar(1), raw.binary('Mul', y, y)))]);
  return y;
}

/** log(1 + eˣ), computed stably by the op. */
export function softplus(x: Value): Value {
  const y = raw.unary('Softplus', x);
  record([x], [y], ([gy]) => [raw.binary('Mul', gy!, raw.unary('Sigmoid', x))]);
  return y;
}

/** max(x, slope·x) for 0 ≤ slope < 1 (ReLU at 0): the gradient is 1 where x > 0, else slope. */
export function leakyRelu(x: Value, slope: number): Value {
  const y = slope === 0 ? raw.unary('Relu', x) : raw.unary('LeakyRelu', x, { alpha: attr.float(slope) });
  record([x], [y], ([gy]) => {
    const graph = scopeOf(y, gy!);
    // y > 0 exactly where x > 0; reading y leaves x to the activation alone, so ORT can fuse
    // the op that made x (Conv, Gemm) with the activation
    const positive = graph.node('Greater', [y, graph.scalar(0)], {}, [x.shape], undefined, ['bool'])[0];
    const other = slope === 0 ? graph.scalar(0) : raw.scale(gy!, slope);
    return [graph.node('Where', [positive, gy!, other], {}, [x.shape])[0]];
  });
  return y;
}

/** x · σ(x). */
export function silu(x: Value): Value {
  return mul(x, sigmoid(x));
}

export function reshape(x: Value, shape: Shape): Value {
  if (sameShape(x.shape, shape)) return x;
  const y = raw.reshape(x, shape);
  record([x], [y], ([gy]) => [raw.reshape(gy!, x.shape)]);
  return y;
}

/** The values of a baked tensor of `shape` transposed by `perm` (row-major). */
export function transposeData(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const strides = new Array<number>(rank);
  for (let i = rank - 1, st = 1; i >= 0; i--) {
    strides[i] = st;
    st *= shape[i];
  }
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += index[d] * strides[perm[d]];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

export function transpose(x: Value, perm: number[]): Value {
  // a baked tensor is transposed here, so the graph keeps a constant (which ORT can pre-pack)
  const y = x.data
    ? x.graph.weights(x.graph.fresh('transposed'), transposeData(x.data, x.staticShape!, perm), perm.map((p) => x.shape[p] as number))
    : raw.transpose(x, perm);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  record([x], [y], ([gy]) => [raw.transpose(gy!, inverse)]);
  return y;
}

/** Σ over `axes` (all when omitted), dimensions dropped unless keepdims. */
export function sum(x: Value, axes: number[] = x.shape.map((_, i) => i), keepdims = false): Value {
  const y = raw.reduceSum(x, axes, keepdims);
  record([x], [y], ([gy]) => {
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return [raw.expand(raw.reshape(gy!, kept), x.shape, x)];
  });
  return y;
}

/** The mean over `axes` (all when omitted); every reduced dimension must be known. */
export function mean(x: Value, axes: number[] = x.shape.map((_, i) => i), keepdims = false): Value {
  const count = axes.reduce((p, a) => {
    const d = x.shape[a];
    if (typeof d !== 'number') throw new Error(`ops.mean: dimension ${a} of [${x.shape}] is not known`);
    return p * d;
  }, 1);
  return scale(sum(x, axes, keepdims), 1 / count);
}

/** a [m, k] · b [k, n] (+ bias [n]), with either operand transposed. */
export function gemm(a: Value, b: Value, bias: Value | null = null, transA = false, transB = false): Value {
  const y = raw.gemm(a, b, bias, transA, transB);
  const inputs = bias ? [a, b, bias] : [a, b];
  record(inputs, [y], ([gy], [na, nb, nc]) => {
    // y = A·B with A = transA ? aᵀ : a, B = transB ? bᵀ : b
    const ga = when(na, () => (transA ? raw.gemm(b, gy!, null, transB, true) : raw.gemm(gy!, b, null, false, !transB)));
    const gb = when(nb, () => (transB ? raw.gemm(gy!, a, null, true, transA) : raw.gemm(a, gy!, null, !transA, false)));
    return bias ? [ga, gb, when(nc, () => raw.unbroadcast(gy!, bias.shape))] : [ga, gb];
  });
  return y;
}

/** Rows [start, start + rows) of a 2-D value (static row counts). */
export function sliceRows(x: Value, start: number, rows: number): Value {
  const graph = x.graph;
  const y = graph.node('Slice', [x, graph.int64([start]), graph.int64([start + rows]), graph.int64([0])], {}, [[rows, ...x.shape.slice(1)]])[0];
  record([x], [y], ([gy]) => {
    const total = x.shape[0];
    if (typeof total !== 'number') throw new Error('ops.sliceRows: the row count must be known to differentiate');
    const pads = [start, ...x.shape.slice(1).map(() => 0), total - start - rows, ...x.shape.slice(1).map(() => 0)];
    return [graph.node('Pad', [gy!, graph.int64(pads)], {}, [x.shape])[0]];
  });
  return y;
}

export function concat(xs: Value[], axis: number): Value {
  const graph = scopeOf(...xs);
  const sizes = xs.map((x) => x.shape[axis]);
  const total: Dim = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : 'n';
  const shape = xs[0].shape.map((d, i) => (i === axis ? total : d));
  const y = graph.node('Concat', xs, { axis: attr.int(axis) }, [shape])[0];
  record(xs, [y], ([gy]) => {
    if (!sizes.every((s) => typeof s === 'number')) throw new Error('ops.concat: sizes must be known to differentiate');
    const parts = graph.node('Split', [gy!, graph.int64(sizes as number[])], { axis: attr.int(axis) }, xs.map((x) => x.shape));
    return parts;
  });
  return y;
}

/** log softmax over the last axis of a 2-D value. */
export function logSoftmax(x: Value): Value {
  const graph = x.graph;
  const y = graph.node('LogSoftmax', [x], { axis: attr.int(-1) }, [x.shape])[0];
  record([x], [y], ([gy]) => {
    // ∂/∂x = g − softmax · Σ g
    const softmax = raw.unary('Exp', y);
    const total = raw.reduceSum(gy!, [x.rank - 1], true);
    return [raw.binary('Sub', gy!, raw.binary('Mul', softmax, total))];
  });
  return y;
}

/**
 * a [b, m, k] · b [b, k, n] for each batch entry, either operand's last two axes transposed
 * first. With A, B the operands as multiplied: ∂A = g·Bᵀ, ∂B = Aᵀ·g, transposed back where
 * the operand was.
 */
export function batchMatMul(a: Value, b: Value, transA = false, transB = false): Value {
  const swap = (v: Value): Value => raw.transpose(v, [0, 2, 1]);
  const ma = transA ? swap(a) : a;
  const mb = transB ? swap(b) : b;
  const y = raw.matMul(ma, mb);
  record([a, b], [y], ([gy], [na, nb]) => [
    // a = Aᵀ: ∂a = (g·Bᵀ)ᵀ = B·gᵀ
    when(na, () => (transA ? raw.matMul(mb, swap(gy!)) : raw.matMul(gy!, swap(mb)))),
    // b = Bᵀ: ∂b = (Aᵀ·g)ᵀ = gᵀ·A
    when(nb, () => (transB ? raw.matMul(swap(gy!), ma) : raw.matMul(swap(ma), gy!))),
  ]);
  return y;
}

/** Softmax over the last axis: ∂x = y ⊙ (g − Σ g ⊙ y). */
export function softmax(x: Value): Value {
  const y = x.graph.node('Softmax', [x], { axis: attr.int(-1) }, [x.shape])[0];
  record([x], [y], ([gy]) => {
    const dot = raw.reduceSum(raw.binary('Mul', gy!, y), [x.rank - 1], true);
    return [raw.binary('Mul', y, raw.binary('Sub', gy!, dot))];
  });
  return y;
}

// ---------------------------------------------------------------------------------------------
// convolutions (NCHW)

export interface Conv2dOptions {
  stride: number;
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
}

/** TF's 'same' padding of a k×k convolution with stride s on h×w: [top, left, bottom, right]. */
export function samePads(h: number, w: number, k: number, s: number): [number, number, number, number] {
  const along = (size: number): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [top, bottom] = along(h);
  const [left, right] = along(w);
  return [top, left, bottom, right];
}

function convOut(size: number, k: number, s: number, before: number, after: number): number {
  return Math.floor((size + before + after - k) / s) + 1;
}

/**
 * A k×k convolution of x [n, cin, h, w] with kernel w [cout, cin, k, k] (+ bias [cout]).
 * Backward: ∂x by ConvTranspose; ∂w by a convolution of xᵀ [cin, n, h, w] with the output
 * gradient ᵀ [cout, n, ho, wo] as a kernel dilated by the stride; ∂b by a sum.
 */
export function conv2d(x: Value, w: Value, bias: Value | null, opts: Conv2dOptions): Value {
  const graph = scopeOf(x, w);
  const [n, cin, h, wd] = x.shape;
  const [cout, , kh, kw] = w.shape as number[];
  if (typeof h !== 'number' || typeof wd !== 'number') throw new Error('ops.conv2d: image size must be known');
  const { stride, pads } = opts;
  const ho = convOut(h, kh, stride, pads[0], pads[2]);
  const wo = convOut(wd, kw, stride, pads[1], pads[3]);
  const attrs = { strides: attr.ints([stride, stride]), pads: attr.ints(pads), kernel_shape: attr.ints([kh, kw]) };
  const y = graph.node('Conv', bias ? [x, w, bias] : [x, w], attrs, [[n, cout, ho, wo]])[0];
  const inputs = bias ? [x, w, bias] : [x, w];
  record(inputs, [y], ([gy], [nx, nw, nb]) => {
    // a baked kernel at stride 1 with enough output channels: an ordinary Conv (blocked layout);
    // otherwise ConvTranspose (measured faster than the sub-pixel form's DepthToSpace)
    const gx = when(nx, () =>
      w.data && (cin as number) >= 8
        ? subPixelInputGradient(gy!, w.data, x.shape, [cout, cin as number, kh, kw], stride, pads)
        : transposedInputGradient(gy!, w, x.shape, stride, pads),
    );
    if (!nw) return [gx, null, null];
    const shape = [cout, cin as number, kh, kw];
    // measured: the GEMM form 2.3x faster on paper-32's 128–256-channel kernels, the
    // convolution form ~1.3x faster on mnist-cpu's (≤ 32·64·4·4 values)
    const gw = cout * (cin as number) * kh * kw >= GEMM_KERNEL_GRADIENT_SIZE ? kernelGradient(x, gy!, shape, stride, pads) : kernelGradientByConv(x, gy!, shape, stride, pads);
    return bias ? [gx, gw, when(nb, () => raw.reduceSum(gy!, [0, 2, 3], false))] : [gx, gw];
  });
  return y;
}

/** Kernels of at least this many values get their gradient as one GEMM (kernelGradient). */
const GEMM_KERNEL_GRADIENT_SIZE = 65536;

/**
 * ∂w[co, ci, a, b] = Σ_{n,y,x} gy[n, co, y, x] · xpad[n, ci, s·y + a, s·x + b], as one GEMM over
 * the patches of x (im2col by k² strided slices of the padded, batch-transposed input):
 * gyᵀ [co, n·ho·wo] · colsᵀ, cols [k²·ci, n·ho·wo]. For big kernels (ResNet widths) it beats
 * `kernelGradientByConv`, whose GEMMs are skinny (2.3x on a 256-channel 3×3 kernel).
 */
function kernelGradient(x: Value, gy: Value, wShape: number[], stride: number, pads: number[]): Value {
  const graph = scopeOf(x, gy);
  const [n, cin, h, wd] = x.shape as [Dim, number, number, number];
  const [, , ho, wo] = gy.shape as number[];
  const [cout, , kh, kw] = wShape;
  if (typeof n !== 'number') throw new Error('ops.conv2d: the batch size must be known to differentiate w.r.t. the kernel');
  const area = n * ho * wo;
  // x as [ci, n, h + pads, w + pads]
  const xt = raw.transpose(x, [1, 0, 2, 3]);
  const padded =
    pads.some((p) => p > 0)
      ? graph.node('Pad', [xt, graph.int64([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])], {}, [[cin, n, h + pads[0] + pads[2], wd + pads[1] + pads[3]]])[0]
      : xt;
  const taps: Value[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const ends = [a + stride * (ho - 1) + 1, b + stride * (wo - 1) + 1];
      const patch = graph.node('Slice', [padded, graph.int64([a, b]), graph.int64(ends), graph.int64([2, 3]), graph.int64([stride, stride])], {}, [[cin, n, ho, wo]])[0];
      taps.push(raw.reshape(patch, [cin, area]));
    }
  }
  const cols = taps.length === 1 ? taps[0] : graph.node('Concat', taps, { axis: attr.int(0) }, [[kh * kw * cin, area]])[0];
  const gyT = raw.reshape(raw.transpose(gy, [1, 0, 2, 3]), [cout, area]);
  // [co, (a, b, ci)] → [co, ci, a, b]
  const flat = raw.gemm(gyT, cols, null, false, true);
  return raw.transpose(raw.reshape(flat, [cout, kh, kw, cin]), [0, 3, 1, 2]);
}

/**
 * The same ∂w as a convolution: the batch-transposed input xᵀ [ci, n, h, w] correlated with the
 * batch-transposed output gradient gyᵀ [co, n, ho, wo] as a kernel dilated by the stride, cropped
 * to the kernel's size. Faster for small kernels (the CPU presets' CNNs).
 */
function kernelGradientByConv(x: Value, gy: Value, wShape: number[], stride: number, pads: number[]): Value {
  const graph = scopeOf(x, gy);
  const [, cin, h, wd] = x.shape as number[];
  const [, , ho, wo] = gy.shape as number[];
  const [cout, , kh, kw] = wShape;
  const xt = raw.transpose(x, [1, 0, 2, 3]);
  const gt = raw.transpose(gy, [1, 0, 2, 3]);
  const fullH = h + pads[0] + pads[2] - stride * (ho - 1);
  const fullW = wd + pads[1] + pads[3] - stride * (wo - 1);
  let gwT = graph.node('Conv', [xt, gt], { pads: attr.ints(pads), dilations: attr.ints([stride, stride]), kernel_shape: attr.ints([ho, wo]) }, [[cin, cout, fullH, fullW]])[0];
  if (fullH !== kh || fullW !== kw) gwT = graph.node('Slice', [gwT, graph.int64([0, 0]), graph.int64([kh, kw]), graph.int64([2, 3])], {}, [[cin, cout, kh, kw]])[0];
  return raw.transpose(gwT, [1, 0, 2, 3]);
}

/** ∂x of a convolution by ConvTranspose (kernels that are graph inputs). */
function transposedInputGradient(gy: Value, w: Value, xShape: Shape, stride: number, pads: number[]): Value {
  const [, , h, wd] = xShape as number[];
  const [, , ho, wo] = gy.shape as number[];
  const [, , kh, kw] = w.shape as number[];
  // sized back to h × w
  const outputPadding = [h - ((ho - 1) * stride + kh - pads[0] - pads[2]), wd - ((wo - 1) * stride + kw - pads[1] - pads[3])];
  return scopeOf(gy, w).node(
    'ConvTranspose',
    [gy, w],
    { strides: attr.ints([stride, stride]), pads: attr.ints(pads), kernel_shape: attr.ints([kh, kw]), output_padding: attr.ints(outputPadding) },
    [xShape],
  )[0];
}

/**
 * ∂x of a convolution with a baked kernel as ordinary convolutions, which ORT runs in its
 * blocked (NCHWc) layout, unlike ConvTranspose. With Y + pad = s·q + r (0 ≤ r < s):
 *   ∂x[Y] = Σ_j Σ_co ∂y[q − j] · W[co, ·, s·j + r],  j < J = ⌈k/s⌉,
 * a stride-1 correlation of ∂y with flipped taps for each phase r. One Conv computes all s²
 * phases as s²·cin channels (kernel K[(ry·s + rx)·cin + c, co, a, b] = W[co, c, s(J−1−a) + ry,
 * s(J−1−b) + rx], zero past the kernel), DepthToSpace interleaves them, a Slice crops the padding.
 */
function subPixelInputGradient(gy: Value, w: Float32Array, xShape: Shape, wShape: number[], s: number, pads: number[]): Value {
  const graph = gy.graph;
  const [n, , h, wd] = xShape as [Dim, number, number, number];
  const [, , ho, wo] = gy.shape as number[];
  const [cout, cin, kh, kw] = wShape;
  const jh = Math.ceil(kh / s);
  const jw = Math.ceil(kw / s);
  const k = new Float32Array(s * s * cin * cout * jh * jw);
  let o = 0;
  for (let ry = 0; ry < s; ry++) {
    for (let rx = 0; rx < s; rx++) {
      for (let c = 0; c < cin; c++) {
        for (let co = 0; co < cout; co++) {
          for (let a = 0; a < jh; a++) {
            const ky = s * (jh - 1 - a) + ry;
            for (let b = 0; b < jw; b++, o++) {
              const kx = s * (jw - 1 - b) + rx;
              k[o] = ky < kh && kx < kw ? w[((co * cin + c) * kh + ky) * kw + kx] : 0;
            }
          }
        }
      }
    }
  }
  const kernel = graph.weights(graph.fresh('subpixel'), k, [s * s * cin, cout, jh, jw]);
  // rows: q from ⌊pt/s⌋ to ⌊(h − 1 + pt)/s⌋; the same for columns
  const span = (size: number, before: number, taps: number, outSize: number) => {
    const lo = Math.floor(before / s);
    const count = Math.floor((size - 1 + before) / s) - lo + 1;
    const padBefore = taps - 1 - lo;
    const padAfter = count + taps - 1 - outSize - padBefore;
    if (padBefore < 0 || padAfter < 0) throw new Error(`ops.conv2d: unsupported padding for the input gradient (${before}, stride ${s}, kernel taps ${taps})`);
    return { count, padBefore, padAfter, crop: before - s * lo };
  };
  const rows = span(h, pads[0], jh, ho);
  const cols = span(wd, pads[1], jw, wo);
  const phases = graph.node(
    'Conv',
    [gy, kernel],
    { pads: attr.ints([rows.padBefore, cols.padBefore, rows.padAfter, cols.padAfter]), kernel_shape: attr.ints([jh, jw]) },
    [[n, s * s * cin, rows.count, cols.count]],
  )[0];
  if (s === 1) return phases;
  // interleave the phases (DepthToSpace, DCR order; ORT's own kernel is slower than this Transpose)
  // as two swaps of adjacent axes (ORT's fast transposes): [n, sy, sx, c·Q·Q'] → [n, sy, c·Q·Q', sx],
  // then [n, sy, c·Q, Q'·sx] → [n, c·Q, sy, Q'·sx]
  const area = cin * rows.count * cols.count;
  const a = raw.transpose(raw.reshape(phases, [n, s, s, area]), [0, 1, 3, 2]);
  const b = raw.transpose(raw.reshape(a, [n, s, cin * rows.count, cols.count * s]), [0, 2, 1, 3]);
  const full = raw.reshape(b, [n, cin, s * rows.count, s * cols.count]);
  if (rows.crop === 0 && cols.crop === 0 && s * rows.count === h && s * cols.count === wd) return full;
  return graph.node(
    'Slice',
    [full, graph.int64([rows.crop, cols.crop]), graph.int64([rows.crop + h, cols.crop + wd]), graph.int64([2, 3])],
    {},
    [xShape],
  )[0];
}

/** 2×2 average pooling with stride 2 (sizes floored, as 'valid'). */
export function avgPool2(x: Value): Value {
  const graph = x.graph;
  const [n, c, h, w] = x.shape as [Dim, Dim, number, number];
  const ho = Math.floor(h / 2);
  const wo = Math.floor(w / 2);
  const y = graph.node('AveragePool', [x], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }, [[n, c, ho, wo]])[0];
  record([x], [y], ([gy]) => {
    // each input pixel of a window receives a quarter of the window's gradient
    const up = graph.node(
      'Resize',
      [gy!, '', graph.constant([1, 1, 2, 2])],
      { mode: attr.string('nearest') },
      [[n, c, 2 * ho, 2 * wo]],
    )[0];
    const quarter = raw.scale(up, 0.25);
    if (2 * ho === h && 2 * wo === w) return [quarter];
    return [graph.node('Pad', [quarter, graph.int64([0, 0, 0, 0, 0, 0, h - 2 * ho, w - 2 * wo])], {}, [x.shape])[0]];
  });
  return y;
}

/** √x. */
export function sqrt(x: Value): Value {
  const y = raw.unary('Sqrt', x);
  record([x], [y], ([gy]) => [raw.binary('Div', gy!, raw.scale(y, 2))]);
  return y;
}

/** a [m, k] · b [k, n] with either operand transposed (no bias). */
export function matMul(a: Value, b: Value, transA = false, transB = false): Value {
  return gemm(a, b, null, transA, transB);
}
