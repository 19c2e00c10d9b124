/**
 * TensorOps on ONNX graph values: the method's nets, f′ and losses emit differentiable nodes
 * (./ops.ts). Images are NCHW inside the graph; kernels arrive in TF's layout and are
 * transposed to ONNX's [cout, cin, k, k] in the graph (their gradients flow back through it).
 */
import type { ImageDims, TensorOps } from '../tensor-ops.js';
import type { Value } from './graph.js';
import * as op from './ops.js';

export const ortOps: TensorOps<Value> = {
  add: op.add,
  sub: op.sub,
  mul: op.mul,
  scale: op.scale,
  addScalar: op.addScalar,
  neg: op.neg,
  exp: op.exp,
  square: op.square,
  sigmoid: op.sigmoid,
  softplus: op.softplus,
  tanh: op.tanh,
  leakyRelu: op.leakyRelu,
  mean: (x) => op.mean(x),
  sum: (x) => op.sum(x),
  div: op.div,
  sqrt: op.sqrt,
  // not recorded on the tape: no gradient flows through these
  maxAbs: (x) => op.raw.reduceMax(op.raw.unary('Abs', x)),
  stopGradient: (x) => x.graph.node('Identity', [x], {}, [x.shape])[0],
  matMul: (a, b, ta = false, tb = false) => op.matMul(a, b, ta, tb),
  reshape: (x, shape) => op.reshape(x, shape),
  constant: (values, shape, like) => like.graph.constant(values, shape),
  dense: (x, kernel, bias) => op.gemm(x, kernel, bias),
  toImage(x: Value, image: ImageDims): Value {
    const { height, width, channels } = image;
    const n = x.shape[0];
    if (channels === 1) return op.reshape(x, [n, 1, height, width]);
    return op.transpose(op.reshape(x, [n, height, width, channels]), [0, 3, 1, 2]);
  },
  conv2d(x: Value, kernel: Value, bias: Value | null, stride: number, pad?: number): Value {
    const [k] = kernel.shape as number[];
    const [, , h, w] = x.shape as number[];
    const w4 = op.transpose(kernel, [3, 2, 0, 1]);
    const pads: [number, number, number, number] = pad === undefined ? op.samePads(h, w, k, stride) : [pad, pad, pad, pad];
    return op.conv2d(x, w4, bias, { stride, pads });
  },
  avgPool2: op.avgPool2,
  spatialMean: (x) => op.mean(x, [2, 3]),
  flatten(x: Value): Value {
    const [n, c, h, w] = x.shape;
    const size = (c as number) * (h as number) * (w as number);
    if (c === 1) return op.reshape(x, [n, size]);
    return op.reshape(op.transpose(x, [0, 2, 3, 1]), [n, size]);
  },
  toTokens(x: Value): Value {
    const [n, c, h, w] = x.shape;
    return op.transpose(op.reshape(x, [n, c, (h as number) * (w as number)]), [0, 2, 1]);
  },
  fromTokens(x: Value, height: number, width: number): Value {
    const [n, , c] = x.shape;
    return op.reshape(op.transpose(x, [0, 2, 1]), [n, c, height, width]);
  },
  batchMatMul: (a, b, ta = false, tb = false) => op.batchMatMul(a, b, ta, tb),
  softmax: op.softmax,
};
