/**
 * x ↦ x·W + b for batches of rows on plain Float32Arrays, by our WebAssembly SIMD GEMM
 * (./kernels/assembly/gemm.ts): e.g. drawing from a Gaussian prior with a full or low-rank
 * covariance factor, which in plain JavaScript cost more than a fifth of an MNIST iteration.
 * Float32 arithmetic throughout.
 */
import { alignBytes, copyRows, ensureBytes, newKernels, pad4, type GemmKernels } from './gemm-kernels.js';

export class LinearMap {
  private readonly k: GemmKernels;
  private readonly outP: number;
  private readonly w: number;
  private readonly b: number;
  private readonly rowsBase: number;

  /** kernel [fanIn × fanOut] row-major, bias [fanOut]. */
  constructor(
    kernel: Float32Array,
    bias: ArrayLike<number>,
    readonly fanIn: number,
    readonly fanOut: number,
  ) {
    if (kernel.length !== fanIn * fanOut || bias.length !== fanOut) throw new Error(`LinearMap: expected a ${fanIn}×${fanOut} kernel and ${fanOut} biases`);
    this.k = newKernels();
    this.outP = pad4(fanOut);
    this.w = alignBytes(this.k.heapBase());
    this.b = this.w + 4 * fanIn * this.outP;
    this.rowsBase = this.b + 4 * this.outP;
    ensureBytes(this.k, this.rowsBase);
    const f = new Float32Array(this.k.memory.buffer);
    copyRows(kernel, fanOut, f.subarray(this.w / 4), this.outP, fanIn, fanOut);
    f.set(bias, this.b / 4);
  }

  /** x [rows × fanIn] ↦ [rows × fanOut] (a new array). */
  apply(x: Float32Array, rows: number): Float32Array {
    if (x.length !== rows * this.fanIn) throw new Error(`LinearMap: expected ${rows}×${this.fanIn} inputs, got ${x.length} values`);
    const xAt = this.rowsBase;
    const yAt = alignBytes(xAt + 4 * rows * this.fanIn);
    ensureBytes(this.k, yAt + 4 * rows * this.outP);
    new Float32Array(this.k.memory.buffer, xAt, rows * this.fanIn).set(x);
    this.k.gemm(xAt, this.w, yAt, rows, this.fanIn, this.outP, this.b, 0, 0);
    const out = new Float32Array(rows * this.fanOut);
    copyRows(new Float32Array(this.k.memory.buffer, yAt, rows * this.outP), this.outP, out, this.fanOut, rows, this.fanOut);
    return out;
  }
}
