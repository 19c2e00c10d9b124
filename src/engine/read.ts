/**
 * Reading tensors back: asynchronously (a GPU backend in Node has no synchronous read-back),
 * all at once, and freeing them whether or not the read succeeds.
 */
import type { Tensor } from './tf.js';
import { tf } from './tf.js';

/** The values of `tensors`, in order; the tensors are disposed afterwards (also on error). */
export async function readAndDispose(...tensors: Tensor[]): Promise<(Float32Array | Int32Array | Uint8Array)[]> {
  try {
    return (await Promise.all(tensors.map((t) => t.data()))) as (Float32Array | Int32Array | Uint8Array)[];
  } finally {
    tf.dispose(tensors);
  }
}
