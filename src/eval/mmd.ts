/**
 * Maximum mean discrepancy with a mixture of RBF kernels,
 * k(a, b) = mean over σ of exp(−‖a − b‖² / (2σ²)).
 *
 * `mmdRbf` returns the square root of the BIASED (V-statistic) estimate of MMD², i.e. the MMD
 * between the two empirical measures, diagonal terms included. It is ≥ 0 and for two draws of
 * the same distribution is a small positive number of order 1/√n, so compare values only at
 * equal sample sizes.
 */
import { rowsOf } from './shape.js';
import type { Points } from './shape.js';

/**
 * Median Euclidean distance over distinct pairs of rows. With more than `maxPoints` rows, an
 * evenly strided, deterministic subset of `maxPoints` rows is used.
 */
export function medianPairwiseDistance(x: Points, dim: number, maxPoints = 1000): number {
  const nAll = rowsOf(x, dim, 'medianPairwiseDistance', 2);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`medianPairwiseDistance: maxPoints is ${maxPoints}, expected an integer ≥ 2`);
  }
  const n = Math.min(nAll, maxPoints);
  const pts = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const r = n === nAll ? i : Math.floor((i * nAll) / n);
    for (let d = 0; d < dim; d++) pts[i * dim + d] = x[r * dim + d];
  }
  const dists = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const t = pts[i * dim + d] - pts[j * dim + d];
        s += t * t;
      }
      dists[k++] = Math.sqrt(s);
    }
  }
  dists.sort();
  const m = dists.length;
  return m % 2 === 1 ? dists[(m - 1) / 2] : 0.5 * (dists[m / 2 - 1] + dists[m / 2]);
}

/** Bandwidth multipliers applied to the reference's median pairwise distance. */
export const BANDWIDTH_FACTORS: readonly number[] = [1 / 8, 1 / 4, 1 / 2, 1, 2];

/**
 * Median pairwise distance of `reference` times [1/8, 1/4, 1/2, 1, 2]. If that median is 0
 * (more than half the pairs coincide), 1 is used in its place.
 */
export function defaultBandwidths(reference: Points, dim: number): number[] {
  let med = medianPairwiseDistance(reference, dim);
  if (!(med > 0) || !Number.isFinite(med)) med = 1;
  return BANDWIDTH_FACTORS.map((f) => f * med);
}

/**
 * Kernel evaluation plan. When the bandwidths are σ_max·2^−k for k = 0..K−1 (in any order, as
 * the default ones are), exp is evaluated once per pair, at σ_max, and the others follow by
 * squaring twice per halving: exp(−a·4) = (exp(−a))⁴. Otherwise one exp per bandwidth.
 */
interface KernelPlan {
  /** True for the σ_max·2^−k chain. */
  chain: boolean;
  invTwoSigmaMax2: number;
  invTwoSigma2: Float64Array;
  count: number;
}

function planKernel(bandwidths: readonly number[]): KernelPlan {
  if (bandwidths.length === 0) throw new RangeError('mmdRbf: bandwidths is empty, expected at least one σ > 0');
  bandwidths.forEach((s, i) => {
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new RangeError(`mmdRbf: bandwidths[${i}] is ${s}, expected a finite number > 0`);
    }
  });
  const sMax = Math.max(...bandwidths);
  const halvings = bandwidths.map((s) => Math.log2(sMax / s));
  const rounded = halvings.map((h) => Math.round(h)).sort((p, q) => p - q);
  const chain =
    halvings.every((h) => Math.abs(h - Math.round(h)) < 1e-9) && rounded.every((h, k) => h === k);
  return {
    chain,
    invTwoSigmaMax2: 1 / (2 * sMax * sMax),
    invTwoSigma2: Float64Array.from(bandwidths, (s) => 1 / (2 * s * s)),
    count: bandwidths.length,
  };
}

function sqDist(a: Float64Array, ai: number, b: Float64Array, bj: number, dim: number): number {
  let d2 = 0;
  for (let d = 0; d < dim; d++) {
    const t = a[ai + d] - b[bj + d];
    d2 += t * t;
  }
  return d2;
}

/**
 * Σ_i Σ_j Σ_σ k_σ(a_i, b_j) over all pairs (symmetric: a = b, each unordered pair computed once
 * and the unit diagonal added). Divide by the number of bandwidths for the mean kernel.
 */
function kernelBlockSum(
  a: Float64Array,
  na: number,
  b: Float64Array,
  nb: number,
  dim: number,
  plan: KernelPlan,
  symmetric: boolean,
): number {
  const { chain, invTwoSigmaMax2, invTwoSigma2, count } = plan;
  let total = 0;
  for (let i = 0; i < na; i++) {
    let rowSum = 0;
    const j0 = symmetric ? i + 1 : 0;
    if (chain && dim === 2) {
      const ax = a[2 * i];
      const ay = a[2 * i + 1];
      for (let j = j0; j < nb; j++) {
        const t0 = ax - b[2 * j];
        const t1 = ay - b[2 * j + 1];
        let v = Math.exp(-(t0 * t0 + t1 * t1) * invTwoSigmaMax2);
        for (let k = 0; k < count; k++) {
          rowSum += v;
          v *= v;
          v *= v;
        }
      }
    } else if (chain) {
      for (let j = j0; j < nb; j++) {
        let v = Math.exp(-sqDist(a, i * dim, b, j * dim, dim) * invTwoSigmaMax2);
        for (let k = 0; k < count; k++) {
          rowSum += v;
          v *= v;
          v *= v;
        }
      }
    } else {
      for (let j = j0; j < nb; j++) {
        const d2 = sqDist(a, i * dim, b, j * dim, dim);
        for (let k = 0; k < count; k++) rowSum += Math.exp(-d2 * invTwoSigma2[k]);
      }
    }
    total += rowSum;
  }
  if (symmetric) total = 2 * total + na * count; // off-diagonal pairs twice, k(a, a) = 1 each
  return total;
}

/**
 * √(biased MMD²) between samples `x` (n×dim) and `y` (m×dim) with the mean-of-RBFs kernel over
 * `bandwidths`. Float64 accumulation; O((n + m)²·dim).
 */
export function mmdRbf(x: Points, y: Points, dim: number, bandwidths: readonly number[]): number {
  const n = rowsOf(x, dim, 'mmdRbf x');
  const m = rowsOf(y, dim, 'mmdRbf y');
  const plan = planKernel(bandwidths);
  const xa = Float64Array.from(x);
  const ya = Float64Array.from(y);
  const kxx = kernelBlockSum(xa, n, xa, n, dim, plan, true) / (plan.count * n * n);
  const kyy = kernelBlockSum(ya, m, ya, m, dim, plan, true) / (plan.count * m * m);
  const kxy = kernelBlockSum(xa, n, ya, m, dim, plan, false) / (plan.count * n * m);
  const mmd2 = kxx + kyy - 2 * kxy;
  return Number.isNaN(mmd2) ? NaN : Math.sqrt(Math.max(0, mmd2));
}
