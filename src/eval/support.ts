/**
 * Fidelity to a known 2-D support (src/data/support.ts): the share of samples farther than a
 * threshold from every part ("off-support"), and the mass balance, each part's share of the
 * samples (every sample counted for its nearest part) next to its share in the data.
 */
import { distanceToShape, supportSpread, type Support } from '../data/support.js';
import { rowsOf, type Points } from './shape.js';

/** How far a sample may lie from the support: max(3σ, 1% of the support's spread). */
export function offSupportThreshold(support: Support): number {
  return Math.max(3 * support.sigma, 0.01 * supportSpread(support));
}

export interface SupportFit {
  /** Share of the samples farther than `threshold` from every part. */
  offSupport: number;
  /** Share of the samples nearest to each part (all samples, so they sum to 1). */
  shares: number[];
  threshold: number;
  /** Median distance of the samples to the support: how wide the parts are drawn. */
  medianDistance: number;
  n: number;
}

/** Off-support share and per-part shares of 2-D `samples` (row-major). NaN rows count as off-support, for no part. */
export function supportFit(samples: Points, support: Support, threshold = offSupportThreshold(support)): SupportFit {
  const n = rowsOf(samples, 2, 'supportFit samples');
  const k = support.parts.length;
  if (k === 0) throw new RangeError('supportFit: the support has no parts');
  const counts = new Array<number>(k).fill(0);
  const distances = new Float64Array(n);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[2 * i];
    const y = samples[2 * i + 1];
    let best = -1;
    let bestD = Infinity;
    for (let p = 0; p < k; p++) {
      const d = distanceToShape(x, y, support.parts[p], bestD);
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    distances[i] = bestD;
    if (best < 0) off++; // NaN: never nearer than Infinity
    else {
      counts[best]++;
      if (bestD > threshold) off++;
    }
  }
  distances.sort();
  const medianDistance = n % 2 === 1 ? distances[(n - 1) / 2] : 0.5 * (distances[n / 2 - 1] + distances[n / 2]);
  return { offSupport: off / n, shares: counts.map((c) => c / n), threshold, medianDistance, n };
}

/**
 * The worst relative error of the samples' part shares against the data's:
 * max over parts of |share / dataShare − 1| (a part the data leaves empty is skipped).
 */
export function worstShareError(shares: readonly number[], dataShares: readonly number[]): number {
  if (shares.length !== dataShares.length) {
    throw new RangeError(`worstShareError: ${shares.length} sample shares against ${dataShares.length} data shares`);
  }
  let worst = 0;
  shares.forEach((s, i) => {
    if (dataShares[i] > 0) worst = Math.max(worst, Math.abs(s / dataShares[i] - 1));
  });
  return worst;
}
