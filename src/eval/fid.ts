/**
 * Fréchet distance between Gaussians fitted to two feature sets (FID when the features come
 * from an image network):
 *
 *   d² = ‖μ₁ − μ₂‖² + tr C₁ + tr C₂ − 2 tr((C₁^{1/2} C₂ C₁^{1/2})^{1/2}).
 *
 * Means and covariances (unbiased, n − 1) are accumulated in float64. The trace term uses
 * only symmetric eigendecompositions (cyclic Jacobi): C₁^{1/2} = V diag(√λ) Vᵀ, then the
 * eigenvalues of the symmetric PSD matrix C₁^{1/2} C₂ C₁^{1/2}, whose square roots sum to the
 * trace term. No square root of a non-symmetric matrix is ever taken, so no complex parts or
 * tolerance hacks as in scipy's sqrtm. Small negative eigenvalues from rounding are clamped to 0.
 */
import { rowsOf } from './shape.js';
import type { Points } from './shape.js';

export interface GaussianFit {
  /** Feature dimension. */
  dim: number;
  /** Number of rows it was fitted to. */
  n: number;
  mean: Float64Array;
  /** dim×dim, row-major, unbiased (divides by n − 1). */
  cov: Float64Array;
}

/** Mean and unbiased covariance (float64) of the rows of `x` (n×dim, n ≥ 2). */
export function fitGaussian(x: Points, dim: number): GaussianFit {
  const n = rowsOf(x, dim, 'fitGaussian', 2);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let d = 0; d < dim; d++) mean[d] += x[o + d];
  }
  for (let d = 0; d < dim; d++) mean[d] /= n;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let d = 0; d < dim; d++) row[d] = x[o + d] - mean[d];
    for (let a = 0; a < dim; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const base = a * dim;
      for (let b = a; b < dim; b++) cov[base + b] += ra * row[b];
    }
  }
  const inv = 1 / (n - 1);
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] * inv;
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { dim, n, mean, cov };
}

export interface SymmetricEigen {
  /** Eigenvalues, in descending order. */
  values: Float64Array;
  /** Eigenvectors as the COLUMNS of a dim×dim row-major matrix, in the order of `values`. */
  vectors: Float64Array;
  /** Jacobi sweeps used. */
  sweeps: number;
}

/**
 * Eigendecomposition A = V diag(λ) Vᵀ of a symmetric matrix (row-major, n×n; only symmetry
 * up to rounding is assumed: the matrix is symmetrised first) by the cyclic Jacobi method.
 * O(n³) per sweep, typically 6–12 sweeps; fine up to a few hundred dimensions.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number, maxSweeps = 60): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`symmetricEigen: n is ${n}, expected an integer ≥ 1`);
  if (matrix.length !== n * n) {
    throw new RangeError(`symmetricEigen: ${matrix.length} values, expected ${n}×${n} = ${n * n}`);
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      return { values: new Float64Array(n).fill(NaN), vectors: new Float64Array(n * n).fill(NaN), sweeps: 0 };
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;

  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i] * a[i];
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    // off-diagonal mass below 1e-24 of the total (1e-12 relative in Frobenius norm): eigenvalue
    // errors are second order in it, far below float64 rounding of the features
    if (off <= 1e-24 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // skip rotations that cannot change anything at double precision
        if (Math.abs(apq) < 1e-300 || (Math.abs(apq) * 1e17 < Math.abs(app) && Math.abs(apq) * 1e17 < Math.abs(aqq))) {
          a[p * n + q] = 0;
          a[q * n + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors, sweeps };
}

/** V diag(f(λ)) Vᵀ for an eigendecomposition (row-major n×n). */
function recompose(e: SymmetricEigen, n: number, f: (lambda: number) => number): Float64Array {
  const fl = Float64Array.from(e.values, f);
  const out = new Float64Array(n * n);
  const { vectors: v } = e;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[i * n + k] * fl[k] * v[j * n + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/** Square root of a symmetric positive semi-definite matrix (negative eigenvalues → 0). */
export function sqrtPsd(matrix: ArrayLike<number>, n: number): Float64Array {
  return recompose(symmetricEigen(matrix, n), n, (l) => Math.sqrt(Math.max(0, l)));
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      const bo = k * n;
      const oo = i * n;
      for (let j = 0; j < n; j++) out[oo + j] += aik * b[bo + j];
    }
  }
  return out;
}

/** tr((C₁^{1/2} C₂ C₁^{1/2})^{1/2}) by two symmetric eigendecompositions. */
export function traceSqrtProduct(c1: ArrayLike<number>, c2: ArrayLike<number>, n: number): number {
  const s1 = sqrtPsd(c1, n);
  const m = matmul(matmul(s1, Float64Array.from(c2), n), s1, n);
  const { values } = symmetricEigen(m, n);
  let tr = 0;
  for (const l of values) tr += Math.sqrt(Math.max(0, l));
  return tr;
}

/** Fréchet distance (squared, as FID is reported) between N(μ₁, C₁) and N(μ₂, C₂). */
export function frechetDistance(a: GaussianFit, b: GaussianFit): number {
  if (a.dim !== b.dim) throw new RangeError(`frechetDistance: dimensions differ (${a.dim} vs ${b.dim})`);
  const n = a.dim;
  let meanTerm = 0;
  let trA = 0;
  let trB = 0;
  for (let d = 0; d < n; d++) {
    meanTerm += (a.mean[d] - b.mean[d]) ** 2;
    trA += a.cov[d * n + d];
    trB += b.cov[d * n + d];
  }
  const d2 = meanTerm + trA + trB - 2 * traceSqrtProduct(a.cov, b.cov, n);
  if (Number.isNaN(d2)) return NaN;
  return Math.max(0, d2);
}

/**
 * FID-style Fréchet distance between Gaussians fitted to the rows of `featsA` and `featsB`
 * (each n×dim, n ≥ 2; the row counts may differ).
 */
export function fid(featsA: Points, featsB: Points, dim: number): number {
  return frechetDistance(fitGaussian(featsA, dim), fitGaussian(featsB, dim));
}
