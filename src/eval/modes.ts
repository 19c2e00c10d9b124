/**
 * Mode coverage for mixture toys: each sample goes to its nearest mode centre, unless it is
 * farther than `farThreshold` (Euclidean) from every centre, in which case it counts as `far`
 * and is not assigned. Fractions are of ALL samples, so Σ fractions + far = 1.
 */
import { rowsOf } from './shape.js';
import type { Points } from './shape.js';

export interface ModeCoverage {
  /** Fraction of all samples assigned to each mode. */
  fractions: number[];
  /** Fraction of all samples farther than the threshold from every mode. */
  far: number;
  /** Number of samples assigned to each mode. */
  counts: number[];
}

export function modeCoverage(samples: Points, dim: number, modes: Points, farThreshold: number): ModeCoverage {
  const n = rowsOf(samples, dim, 'modeCoverage samples', 0);
  const k = rowsOf(modes, dim, 'modeCoverage modes');
  if (!(farThreshold >= 0)) {
    throw new RangeError(`modeCoverage: farThreshold is ${farThreshold}, expected a number ≥ 0`);
  }
  const thr2 = farThreshold * farThreshold;
  const counts = new Array<number>(k).fill(0);
  let far = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestD2 = Infinity;
    for (let c = 0; c < k; c++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const t = samples[i * dim + d] - modes[c * dim + d];
        d2 += t * t;
      }
      if (d2 < bestD2) {
        bestD2 = d2;
        best = c;
      }
    }
    // NaN samples never beat Infinity, so they land here as far.
    if (best < 0 || bestD2 > thr2) far++;
    else counts[best]++;
  }
  return {
    fractions: counts.map((c) => (n > 0 ? c / n : 0)),
    far: n > 0 ? far / n : 0,
    counts,
  };
}
