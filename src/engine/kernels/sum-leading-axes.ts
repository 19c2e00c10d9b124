/**
 * Sum over the leading axes (x:[R…, C…] → [C…]) for wasm: this is every bias gradient
 * (dy summed over batch and space). The stock kernel first transposes the whole tensor to put
 * the reduced axes last with its generic (slow) transpose: 14 ms for a [64, 14, 14, 64] bias
 * gradient. Here the rows are accumulated in one JS pass (float64 accumulators, four rows at a
 * time): ~4x faster than stock on [100352, 32], ~2x on a dense layer's [1024, 128]. Every other
 * reduction goes to the stock kernel.
 */
import { tf } from '../tf.js';
import { heapF32, isOurs, registerOurs, type KernelFunc, type TensorInfo, type WasmBackendLike } from './wasm-ops.js';

export function installSumLeadingAxes(backendName: string): boolean {
  if (isOurs('Sum', backendName)) return true;
  const original = tf.getKernel('Sum', backendName)?.kernelFunc;
  if (!original) return false;

  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    // leading axes only (0..k-1, k < rank) and something to gain: otherwise the stock kernel
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original(args);
    const rows = x.shape.slice(0, axes.length).reduce((p, v) => p * v, 1);
    const cols = x.shape.slice(axes.length).reduce((p, v) => p * v, 1);
    if (rows <= 1 || cols === 0) return original(args);
    const outShape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
    const wasm = backend as unknown as WasmBackendLike;
    const out = wasm.makeOutput(outShape, 'float32');
    const xv = heapF32(wasm, x);
    const acc = new Float64Array(cols);
    let r = 0;
    // four rows per pass over the accumulators: ~2x faster than one
    for (; r + 4 <= rows; r += 4) {
      const o = r * cols;
      const o1 = o + cols;
      const o2 = o1 + cols;
      const o3 = o2 + cols;
      for (let c = 0; c < cols; c++) acc[c] += xv[o + c] + xv[o1 + c] + (xv[o2 + c] + xv[o3 + c]);
    }
    for (; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += xv[o + c];
    }
    heapF32(wasm, out).set(acc);
    return out;
  };
  registerOurs('Sum', backendName, kernelFunc);
  return true;
}
