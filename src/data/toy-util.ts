/** Small helpers shared by the toy generators (./toy2d.ts, ./toy-thin.ts). */
import type { Rng } from '../util/rng.js';

/** A RangeError unless n is a non-negative integer. */
export function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`toy dataset: n is ${n}, expected a non-negative integer`);
  }
}

/** Shuffle the rows of a row-major n×2 array in place (Fisher–Yates via rng). */
export function shuffleRows2(a: Float32Array, rng: Rng): void {
  const n = a.length / 2;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const x = a[2 * i];
    const y = a[2 * i + 1];
    a[2 * i] = a[2 * j];
    a[2 * i + 1] = a[2 * j + 1];
    a[2 * j] = x;
    a[2 * j + 1] = y;
  }
}
