/**
 * k-means for the mixture priors: k-means++ seeding (D² sampling) and Lloyd iterations on
 * row-major float64 points. `data-gmm` starts EM from it on points (./mixture.ts) and splits
 * images into the clusters of its image form (./cluster-mixture.ts).
 */
import type { Rng } from '../util/rng.js';

/** k-means++ seeding (D² sampling), then 10 Lloyd iterations; an empty cluster keeps its centre. */
export function kMeansPlusPlus(x: Float64Array, n: number, dim: number, k: number, rng: Rng): Float64Array {
  const centres = new Float64Array(k * dim);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = rng.int(n);
  for (let j = 0; j < k; j++) {
    centres.set(x.subarray(pick * dim, (pick + 1) * dim), j * dim);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = sqDistance(x, i, centres, j, dim);
      if (s < d2[i]) d2[i] = s;
      total += d2[i];
    }
    if (j + 1 === k) break;
    // the next centre with probability ∝ squared distance to the nearest chosen one
    let u = rng.uniform() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= d2[i];
      if (u < 0) {
        pick = i;
        break;
      }
    }
  }
  const sums = new Float64Array(k * dim);
  const counts = new Float64Array(k);
  for (let it = 0; it < 10; it++) {
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const j = nearest(x, i, centres, dim, k);
      counts[j]++;
      for (let a = 0; a < dim; a++) sums[j * dim + a] += x[i * dim + a];
    }
    for (let j = 0; j < k; j++) if (counts[j] > 0) for (let a = 0; a < dim; a++) centres[j * dim + a] = sums[j * dim + a] / counts[j];
  }
  return centres;
}

/** ‖x_i − centre_j‖² (rows of dim values). */
export function sqDistance(x: Float64Array, i: number, centres: Float64Array, j: number, dim: number): number {
  let s = 0;
  for (let a = 0; a < dim; a++) s += (x[i * dim + a] - centres[j * dim + a]) ** 2;
  return s;
}

/** The index of the centre nearest row i. */
export function nearest(x: Float64Array, i: number, centres: Float64Array, dim: number, k: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < k; j++) {
    const s = sqDistance(x, i, centres, j, dim);
    if (s < bestD) {
      bestD = s;
      best = j;
    }
  }
  return best;
}
