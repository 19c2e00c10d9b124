/** Shared checks of the fused CPU nets (src/engine/fused-*.ts). */
import assert from 'node:assert/strict';
import { setFusedKernels, type FusedNet } from '../../src/engine/index.js';

/** max |got − want| over max |want| (the scale floored at 1e-6). */
export function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

/**
 * The drift of rows [from, to) computed alone equals, bit for bit, those rows of the drift of
 * all `rows` rows of x (`width` values each), for each range.
 */
export function assertRowsIndependent(fused: FusedNet, x: Float32Array, rows: number, width: number, ranges: [number, number][]): void {
  const slope = (out: Float32Array, into: Float32Array): void => {
    for (let i = 0; i < out.length; i++) into[i] = Math.exp(out[i]);
  };
  const all = fused.inputGradient(x, rows, slope);
  for (const [from, to] of ranges) {
    const part = fused.inputGradient(x.slice(from * width, to * width), to - from, slope);
    assert.deepEqual(Array.from(part), Array.from(all.subarray(from * width, to * width)), `rows ${from}..${to}`);
  }
}

/** fn's result with our fused kernels turned off in this thread (TF.js and plain loops only). */
export function withoutFusedKernels<T>(fn: () => T): T {
  setFusedKernels(false);
  try {
    return fn();
  } finally {
    setFusedKernels(true);
  }
}

/** The same for an asynchronous fn (the kernels stay off until it settles). */
export async function withoutFusedKernelsAsync<T>(fn: () => Promise<T>): Promise<T> {
  setFusedKernels(false);
  try {
    return await fn();
  } finally {
    setFusedKernels(true);
  }
}
