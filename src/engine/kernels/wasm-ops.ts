/**
 * Shared plumbing for replacement kernels that are built from a backend's own kernels: looks
 * the building blocks up once, calls their kernel functions directly (no engine, no tape) and
 * frees the temporaries in the backend. Also the few wasm-backend internals the kernels need to
 * read and write tensor memory in place.
 */
import { tf } from '../tf.js';

export type KernelFunc = tf.KernelConfig['kernelFunc'];
export type TensorInfo = tf.TensorInfo;
export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/** What the kernels use of the wasm backend (BackendWasm is not exported as a type we can name). */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** A heap view of a float32 tensor. Take it after the last allocation (allocations may grow the heap and detach older views). */
export function heapF32(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** The kernel functions of `backendName` for `names`, or null when one is missing. */
export function kernelFuncs<K extends string>(backendName: string, names: readonly K[]): Record<K, KernelFunc> | null {
  const out = {} as Record<K, KernelFunc>;
  for (const n of names) {
    const k = tf.getKernel(n, backendName);
    if (!k) return null;
    out[n] = k.kernelFunc;
  }
  return out;
}

/** Is the registered kernel one of ours (installed by this module's helpers)? */
export function isOurs(kernelName: string, backendName: string): boolean {
  const k = tf.getKernel(kernelName, backendName) as (tf.KernelConfig & { dggf?: boolean }) | undefined;
  return !!k?.dggf;
}

const registered = new Map<string, { ours: tf.KernelConfig; stock?: tf.KernelConfig }>();

/** Register `kernelFunc` for (kernelName, backendName), replacing what is there. */
export function registerOurs(kernelName: string, backendName: string, kernelFunc: KernelFunc): void {
  const stock = tf.getKernel(kernelName, backendName);
  if (stock) tf.unregisterKernel(kernelName, backendName);
  const ours = { kernelName, backendName, kernelFunc, dggf: true } as tf.KernelConfig;
  tf.registerKernel(ours);
  registered.set(`${backendName}/${kernelName}`, { ours, stock });
}

/**
 * For benchmarks and tests: switch (kernelName, backendName) between our installed kernel and
 * the backend's stock one (`stock` with no stock kernel leaves the kernel unregistered).
 * Returns false when we never installed one there.
 */
export function useKernel(kernelName: string, backendName: string, which: 'ours' | 'stock'): boolean {
  const entry = registered.get(`${backendName}/${kernelName}`);
  if (!entry) return false;
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  const config = which === 'ours' ? entry.ours : entry.stock;
  if (config) tf.registerKernel(config);
  return true;
}

/** Collects intermediate results of one kernel call and frees them in the backend. */
export class Temporaries {
  private readonly list: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackendLike) {}
  add<T extends TensorInfo>(t: T): T {
    this.list.push(t);
    return t;
  }
  dispose(): void {
    for (const t of this.list) this.backend.disposeData(t.dataId);
    this.list.length = 0;
  }
}
