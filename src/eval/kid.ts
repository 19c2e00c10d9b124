/**
 * Kernel Inception Distance (Bińkowski et al., 2018): the UNBIASED estimate of MMD² with the
 * cubic polynomial kernel k(x, y) = (xᵀy / d + 1)³, averaged over random subsets of both sets.
 *
 * For each subset, m rows of A and m rows of B are drawn without replacement and
 *
 *   MMD²ᵤ = Σ_{i≠j} k(aᵢ, aⱼ) / (m(m−1)) + Σ_{i≠j} k(bᵢ, bⱼ) / (m(m−1)) − 2 Σ_{i,j} k(aᵢ, bⱼ) / m².
 *
 * Unbiased, so it can be (slightly) negative for two sets from one distribution; its mean over
 * draws is 0 there. Subsets come from the seeded RNG, so a seed replays the value exactly.
 * Float64 accumulation; O(subsets · m² · d).
 */
import { Rng } from '../util/rng.js';
import { rowsOf } from './shape.js';
import type { Points } from './shape.js';

export interface KidOptions {
  /** Number of subsets (default 10). */
  subsets?: number;
  /** Rows per subset, capped at the smaller set's size (default 1000). */
  subsetSize?: number;
  /** Seed for the subset draws (default 0); or pass `rng`. */
  seed?: number;
  rng?: Rng;
  /** Called after each subset with the subsets done (progress). */
  onSubset?(done: number): void;
}

export interface KidResult {
  /** Mean of the unbiased MMD² over subsets. */
  kid: number;
  /** Standard deviation over subsets (population form, as torch-fidelity's kid_std). */
  std: number;
  subsets: number;
  subsetSize: number;
}

/** The rows of x picked by `idx`, copied into one contiguous float64 block. */
function gather(x: Points, idx: Uint32Array, dim: number): Float64Array {
  const out = new Float64Array(idx.length * dim);
  for (let i = 0; i < idx.length; i++) {
    const src = idx[i] * dim;
    const dst = i * dim;
    for (let d = 0; d < dim; d++) out[dst + d] = x[src + d];
  }
  return out;
}

const cube = (dot: number, invD: number): number => {
  const t = dot * invD + 1;
  return t * t * t;
};

/**
 * Σ k(aᵢ, bⱼ) over all pairs of rows of the contiguous blocks a (na rows) and b (nb rows), or,
 * when `symmetric` (a = b), over the off-diagonal pairs i ≠ j. Four rows of a at a time share
 * each read of a row of b.
 */
function polySum(a: Float64Array, na: number, b: Float64Array, nb: number, dim: number, symmetric: boolean): number {
  const invD = 1 / dim;
  let total = 0;
  let i = 0;
  for (; i + 4 <= na; i += 4) {
    const o0 = i * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    let acc = 0;
    for (let j = symmetric ? i + 1 : 0; j < nb; j++) {
      const bo = j * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let d = 0; d < dim; d++) {
        const bv = b[bo + d];
        s0 += a[o0 + d] * bv;
        s1 += a[o1 + d] * bv;
        s2 += a[o2 + d] * bv;
        s3 += a[o3 + d] * bv;
      }
      // symmetric: only pairs with j > row count (rows i+1.. i+3 meet j = i+1.. i+3 first)
      if (!symmetric || j > i + 3) {
        acc += cube(s0, invD) + cube(s1, invD) + cube(s2, invD) + cube(s3, invD);
      } else {
        acc += cube(s0, invD);
        if (j > i + 1) acc += cube(s1, invD);
        if (j > i + 2) acc += cube(s2, invD);
      }
    }
    total += acc;
  }
  for (; i < na; i++) {
    const ao = i * dim;
    for (let j = symmetric ? i + 1 : 0; j < nb; j++) {
      const bo = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += a[ao + d] * b[bo + d];
      total += cube(s, invD);
    }
  }
  return symmetric ? 2 * total : total; // off-diagonal pairs, each counted twice
}

/** First m entries of a seeded permutation of 0..n−1 (sampling without replacement). */
function subset(n: number, m: number, rng: Rng): Uint32Array {
  return rng.permutation(n).subarray(0, m);
}

/** KID of `a` against `b` (each n×dim, at least 2 rows; row counts may differ). */
export function kid(a: Points, b: Points, dim: number, opts: KidOptions = {}): KidResult {
  const na = rowsOf(a, dim, 'kid a', 2);
  const nb = rowsOf(b, dim, 'kid b', 2);
  const subsets = opts.subsets ?? 10;
  if (!Number.isInteger(subsets) || subsets < 1) throw new RangeError(`kid: subsets is ${subsets}, expected an integer ≥ 1`);
  const wanted = opts.subsetSize ?? 1000;
  if (!Number.isInteger(wanted) || wanted < 2) throw new RangeError(`kid: subsetSize is ${wanted}, expected an integer ≥ 2`);
  const m = Math.min(wanted, na, nb);
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const sa = gather(a, subset(na, m, rng), dim);
    const sb = gather(b, subset(nb, m, rng), dim);
    const kaa = polySum(sa, m, sa, m, dim, true) / (m * (m - 1));
    const kbb = polySum(sb, m, sb, m, dim, true) / (m * (m - 1));
    const kab = polySum(sa, m, sb, m, dim, false) / (m * m);
    values.push(kaa + kbb - 2 * kab);
    opts.onSubset?.(s + 1);
  }
  const mean = values.reduce((p, v) => p + v, 0) / subsets;
  const variance = values.reduce((p, v) => p + (v - mean) ** 2, 0) / subsets;
  return { kid: mean, std: Math.sqrt(variance), subsets, subsetSize: m };
}
