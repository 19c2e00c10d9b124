/**
 * The operations the method's math is written with, whatever engine evaluates it: ratio nets
 * (src/nets/), f′ of the divergences (src/divergences/) and the ratio losses (src/losses/) are
 * each written once against this interface. TF.js implements it on tensors (./tfjs-ops.ts);
 * the ONNX Runtime engine on graph values (./ort/tensor-ops.ts), which it differentiates.
 *
 * Images enter as flat rows [n, H·W·C] in HWC order (as the flow moves them) and leave through
 * `flatten` in the same order; in between, each engine keeps its own layout (TF.js NHWC,
 * ONNX NCHW). Convolution kernels are given in TF's layout [k, k, cin, cout].
 */
export interface ImageDims {
  height: number;
  width: number;
  channels: number;
}

export interface TensorOps<T> {
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  /** c·x */
  scale(x: T, c: number): T;
  /** x + c */
  addScalar(x: T, c: number): T;
  neg(x: T): T;
  exp(x: T): T;
  square(x: T): T;
  sigmoid(x: T): T;
  /** log(1 + eˣ) */
  softplus(x: T): T;
  tanh(x: T): T;
  /** max(x, slope·x), 0 ≤ slope < 1 (ReLU at 0) */
  leakyRelu(x: T, slope: number): T;
  /** The mean of all elements (a scalar). */
  mean(x: T): T;
  /** The sum of all elements (a scalar). */
  sum(x: T): T;
  /** a / b (b broadcast, e.g. a scalar). */
  div(a: T, b: T): T;
  sqrt(x: T): T;
  /** max |x| over all elements (a scalar; no gradient flows through it). */
  maxAbs(x: T): T;
  /** x, with no gradient flowing back through it. */
  stopGradient(x: T): T;
  /** a [m, k] · b [k, n] (either transposed first). */
  matMul(a: T, b: T, transposeA?: boolean, transposeB?: boolean): T;
  reshape(x: T, shape: number[]): T;
  /** A float32 constant, made where `like` lives (its graph, its backend). */
  constant(values: Float32Array, shape: number[], like: T): T;
  /** x [n, k] · kernel [k, m] + bias [m] */
  dense(x: T, kernel: T, bias: T): T;
  /** Flat rows [n, H·W·C] to an image batch in the engine's layout. */
  toImage(x: T, image: ImageDims): T;
  /**
   * A k×k convolution with the given stride (+ bias [cout], none when null). Padding: TF's
   * 'same' when `pad` is undefined, else `pad` zero rows/columns on every side (PyTorch's
   * `padding=pad`: a stride-2 3×3 conv with pad 1 centres its taps on the even pixels, where
   * 'same' centres them on the odd ones).
   */
  conv2d(x: T, kernel: T, bias: T | null, stride: number, pad?: number): T;
  /** 2×2 average pooling, stride 2. */
  avgPool2(x: T): T;
  /** The mean over the spatial dimensions: [n, c]. */
  spatialMean(x: T): T;
  /** An image batch to flat rows [n, H·W·C] in HWC order. */
  flatten(x: T): T;
  /** An image batch to tokens [n, H·W, C]: one row per pixel (row-major), its channels along it. */
  toTokens(x: T): T;
  /** Tokens [n, H·W, C] back to an image batch of `height` × `width` in the engine's layout. */
  fromTokens(x: T, height: number, width: number): T;
  /** a [b, m, k] · b [b, k, n] for each of the b batch entries (either operand's last two axes transposed first). */
  batchMatMul(a: T, b: T, transposeA?: boolean, transposeB?: boolean): T;
  /** Softmax over the last axis. */
  softmax(x: T): T;
}
