/**
 * Backend parity helpers: run the same computation on the cpu reference and on another
 * backend and compare every output; the randomized conv cases the kernel tests share.
 */
import assert from 'node:assert/strict';
import { onBackend, maxAbsDiff, maxAbs, tf, type EngineBackend } from './engine.js';
import type { Rng } from '../../src/util/rng.js';

export type Pad = 'same' | 'valid' | number;

export interface ConvCase {
  batch: number;
  size: number;
  cin: number;
  cout: number;
  kernel: number;
  stride: number;
  pad: Pad;
}

/** max |got − ref| ≤ tol·(1 + max |ref|), elementwise over same-length arrays. */
export function assertClose(got: ArrayLike<number>, ref: ArrayLike<number>, what: string, tol = 1e-4): void {
  const err = maxAbsDiff(got, ref);
  const bound = tol * (1 + maxAbs(ref));
  assert.ok(err <= bound, `${what}: max error ${err.toExponential(2)} > ${bound.toExponential(2)}`);
}

interface Values {
  shapes: number[][];
  values: Float32Array[];
}

/** Reads tensors back (asynchronously: GPU backends in Node have no synchronous read) and frees them. */
export async function readBack(ts: tf.Tensor[]): Promise<Values> {
  try {
    return { shapes: ts.map((t) => t.shape), values: await Promise.all(ts.map(async (t) => (await t.data()).slice() as Float32Array)) };
  } finally {
    tf.dispose(ts);
  }
}

/** Runs `run` on the cpu reference and on `backend`; every output must agree within `tol`. */
export async function compareBackends(name: string, run: () => tf.Tensor[], o: { backend: EngineBackend; tol?: number }): Promise<void> {
  const tol = o.tol ?? 1e-4;
  const ref = await onBackend('cpu', () => readBack(run()));
  const got = await onBackend(o.backend, () => readBack(run()));
  assert.deepEqual(got.shapes, ref.shapes, `${name}: shapes`);
  ref.values.forEach((r, i) => assertClose(got.values[i], r, `${name} [output ${i}]`, tol));
}

/** Forward, input gradient and filter gradient of Σ r ⊙ conv2d(x, w) for a random r. */
export function convRun(c: ConvCase, rng: Rng): () => tf.Tensor[] {
  const xv = rng.normalArray(c.batch * c.size * c.size * c.cin);
  const wv = rng.normalArray(c.kernel * c.kernel * c.cin * c.cout);
  const outSize = c.pad === 'same' ? Math.ceil(c.size / c.stride) : Math.floor((c.size + 2 * (typeof c.pad === 'number' ? c.pad : 0) - c.kernel) / c.stride) + 1;
  const rv = rng.normalArray(c.batch * outSize * outSize * c.cout);
  return () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xv, [c.batch, c.size, c.size, c.cin]);
      const w = tf.tensor4d(wv, [c.kernel, c.kernel, c.cin, c.cout]);
      const r = tf.tensor4d(rv, [c.batch, outSize, outSize, c.cout]);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r));
      const y = tf.conv2d(x, w, c.stride, c.pad);
      const [dx, dw] = tf.grads(f)([x, w]);
      return [y, dx, dw];
    });
}

/** Every stride × padding × kernel, with sizes, batches and channels cycled through the lists. */
export function convCases(rng: Rng): ConvCase[] {
  const sizes = [7, 9, 28];
  const batches = [1, 3, 8];
  const channels = [1, 3, 16];
  const cases: ConvCase[] = [];
  let i = 0;
  for (const stride of [1, 2, 3]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const kernel of [1, 3, 4]) {
        const size = sizes[i % 3];
        cases.push({
          batch: batches[(i + rng.int(3)) % 3],
          size,
          // keep the cpu reference cheap on the 28×28 images
          cin: size === 28 ? channels[i % 2] : channels[rng.int(3)],
          cout: size === 28 ? channels[(i + 1) % 2] : channels[rng.int(3)],
          kernel,
          stride,
          pad,
        });
        i++;
      }
    }
  }
  return cases;
}
