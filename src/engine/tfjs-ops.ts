/**
 * TensorOps on TF.js tensors (NHWC images); autodiff by TF.js's tape.
 */
import { tf, type Tensor, type Tensor2D, type Tensor3D, type Tensor4D } from './tf.js';
import type { ImageDims, TensorOps } from './tensor-ops.js';

/** x with a zero gradient (TF.js has no stop-gradient op of its own). */
const stopGradient = tf.customGrad((...args: unknown[]) => {
  const x = args[0] as Tensor;
  return { value: tf.clone(x), gradFunc: () => tf.zerosLike(x) };
}) as (x: Tensor) => Tensor;

export const tfjsOps: TensorOps<Tensor> = {
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  scale: (x, c) => (c === 1 ? x : tf.mul(x, c)),
  addScalar: (x, c) => (c === 0 ? x : tf.add(x, c)),
  neg: (x) => tf.neg(x),
  exp: (x) => tf.exp(x),
  square: (x) => tf.square(x),
  sigmoid: (x) => tf.sigmoid(x),
  softplus: (x) => tf.softplus(x),
  tanh: (x) => tf.tanh(x),
  // x ⊙ step(x, slope): tfjs-wasm's LeakyRelu kernel is ~8x slower than Step + Mul, and Step's
  // gradient is zero, so autodiff of this form gives exactly the activation's derivative
  leakyRelu: (x, slope) => (slope === 0 ? tf.relu(x) : tf.mul(x, tf.step(x, slope))),
  mean: (x) => tf.mean(x),
  sum: (x) => tf.sum(x),
  div: (a, b) => tf.div(a, b),
  sqrt: (x) => tf.sqrt(x),
  maxAbs: (x) => stopGradient(tf.max(tf.abs(x))),
  stopGradient: (x) => stopGradient(x),
  matMul: (a, b, ta = false, tb = false) => tf.matMul(a as Tensor2D, b as Tensor2D, ta, tb),
  reshape: (x, shape) => tf.reshape(x, shape),
  constant: (values, shape) => tf.tensor(values, shape, 'float32'),
  dense: (x, kernel, bias) => tf.add(tf.matMul(x as Tensor2D, kernel as Tensor2D), bias),
  toImage: (x, image: ImageDims) => tf.reshape(x, [x.shape[0], image.height, image.width, image.channels]),
  conv2d(x, kernel, bias, stride, pad) {
    const y = tf.conv2d(x as Tensor4D, kernel as Tensor4D, stride, pad ?? 'same');
    return bias ? tf.add(y, bias) : y;
  },
  avgPool2: (x) => tf.avgPool(x as Tensor4D, 2, 2, 'valid'),
  spatialMean: (x) => tf.mean(x, [1, 2]),
  flatten: (x) => tf.reshape(x, [x.shape[0], -1]),
  // NHWC is already pixel-major
  toTokens: (x) => tf.reshape(x, [x.shape[0], x.shape[1]! * x.shape[2]!, x.shape[3]!]),
  fromTokens: (x, height, width) => tf.reshape(x, [x.shape[0], height, width, x.shape[2]!]),
  batchMatMul: (a, b, ta = false, tb = false) => tf.matMul(a as Tensor3D, b as Tensor3D, ta, tb),
  softmax: (x) => tf.softmax(x),
};
