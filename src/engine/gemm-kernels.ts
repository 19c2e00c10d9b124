/**
 * Loading of our WebAssembly SIMD kernels (./kernels/assembly/gemm.ts, built into
 * ./kernels/generated/ by `npm run build:kernels`) and the switch that says where the fused
 * nets built on them (./fused-mlp.ts, ./fused-cnn.ts) are used.
 */
import { WASM_BASE64 } from './kernels/generated/gemm-wasm.js';
import { tf } from './tf.js';

// the WebAssembly API, typed here (the project's lib settings do not declare it)
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The kernels' exports; addresses are byte offsets into `memory`, sizes are float counts. */
export interface GemmKernels {
  memory: WasmMemory;
  heapBase(): number;
  gemm(a: number, b: number, c: number, m: number, k: number, n: number, bias: number, activate: number, slope: number): void;
  maskByActivation(g: number, h: number, count: number, slope: number): void;
  gemmTransposedA(a: number, b: number, c: number, m: number, k: number, n: number, accumulate: number): void;
  columnSums(b: number, out: number, m: number, n: number, accumulate: number): void;
  im2col(x: number, col: number, H: number, W: number, C: number, OH: number, OW: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, ldcol: number): void;
  col2im(dcol: number, dx: number, H: number, W: number, C: number, OH: number, OW: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, ldcol: number): void;
  zero(p: number, count: number): void;
}

let compiled: object | null | undefined;

/** The compiled module, or null where this WebAssembly cannot compile it (no SIMD). */
function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      const text = atob(WASM_BASE64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      compiled = new wasm.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** A new instance of the kernels, with its own (empty) memory. */
export function newKernels(): GemmKernels {
  const module = kernelModule();
  if (!module) throw new Error('our WebAssembly SIMD kernels do not compile here (no WebAssembly SIMD?)');
  return new wasm.Instance(module, {}).exports as unknown as GemmKernels;
}

const PAGE = 65536;

/** Grows the kernels' memory to at least `bytes`. */
export function ensureBytes(k: GemmKernels, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
}

/**
 * A byte address rounded up to a cache line: buffers start there, so the kernels' 16-byte
 * vector loads never straddle two lines.
 */
export const alignBytes = (at: number): number => Math.ceil(at / 64) * 64;

/**
 * Copies `rows` rows of `cols` values from src (rows `srcStride` apart) into dst (rows
 * `dstStride` apart): between the kernels' padded layouts and callers' packed arrays.
 */
export function copyRows(src: Float32Array, srcStride: number, dst: Float32Array, dstStride: number, rows: number, cols: number): void {
  if (srcStride === cols && dstStride === cols) {
    dst.set(src.subarray(0, rows * cols));
    return;
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[r * dstStride + c] = src[r * srcStride + c];
}

/** n rounded up to a multiple of 4 (the kernels' vector width). */
export const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

let enabled = true;

/**
 * Turns the fused kernels off (tests compare them with the TF.js path) or back on, in this
 * thread only: flow workers follow DGGF_FUSED, which they inherit at start.
 */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

/**
 * Whether callers should use the fused kernels: on by default where they compile;
 * DGGF_FUSED=0 turns them off.
 */
export function fusedKernelsEnabled(): boolean {
  const env = typeof process !== 'undefined' ? process.env?.DGGF_FUSED : undefined;
  return enabled && env !== '0' && kernelModule() !== null;
}

/** Backends whose tensors live in CPU memory: there the fused kernels beat TF.js's small ops. */
const CPU_BACKENDS = new Set(['wasm', 'cpu']);

/** Enabled, and the engine's backend keeps tensors in CPU memory. */
export function fusedKernelsApply(): boolean {
  return fusedKernelsEnabled() && CPU_BACKENDS.has(tf.getBackend());
}

/** A ratio net on the fused kernels: outputs, and the flow's drift ∇ₓ Σ φ(out). */
export interface FusedNet {
  /** Net outputs for x [rows, inputs]: [rows]. */
  forward(x: Float32Array, rows: number): Float32Array;
  /** ∇ₓ Σᵣ φ(out(xᵣ)) given `slope(out, into)` filling into[r] = φ′(out[r]): [rows, inputs]. */
  inputGradient(x: Float32Array, rows: number, slope: (out: Float32Array, into: Float32Array) => void): Float32Array;
}
