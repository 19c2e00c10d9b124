/** Cholesky factors of symmetric positive-definite matrices (float64, row-major). */

/** Lower-triangular Cholesky factor of a symmetric positive-definite matrix. */
export function cholesky(a: Float64Array, dim: number): Float64Array {
  const l = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) choleskyRow(a, l, dim, i);
  return l;
}

/**
 * The same factor as `cholesky`, the same arithmetic in the same order, but handing the event
 * loop back every ~100 ms: a 3,072-dim covariance (32×32 RGB) takes seconds, and a caller's
 * progress timer must keep printing meanwhile.
 */
export async function choleskyYielding(a: Float64Array, dim: number): Promise<Float64Array> {
  const l = new Float64Array(dim * dim);
  let since = performance.now();
  for (let i = 0; i < dim; i++) {
    choleskyRow(a, l, dim, i);
    if (performance.now() - since > 100) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      since = performance.now();
    }
  }
  return l;
}

/** Row i of the lower Cholesky factor l of a (rows before i already in l). */
function choleskyRow(a: Float64Array, l: Float64Array, dim: number, i: number): void {
  for (let j = 0; j <= i; j++) {
    let s = a[i * dim + j];
    for (let k = 0; k < j; k++) s -= l[i * dim + k] * l[j * dim + k];
    if (i === j) {
      if (s <= 0) throw new Error('covariance is not positive definite');
      l[i * dim + i] = Math.sqrt(s);
    } else {
      l[i * dim + j] = s / l[j * dim + j];
    }
  }
}
