/**
 * Energy distance 2·E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ between two samples, as V-statistics
 * (means over all n², m², n·m pairs, zero diagonals included): the energy distance between the
 * two empirical measures, ≥ 0 (tiny negative rounding is clamped to 0).
 */
import { rowsOf } from './shape.js';
import type { Points } from './shape.js';

function meanDistance(a: Float64Array, na: number, b: Float64Array, nb: number, dim: number, symmetric: boolean): number {
  let total = 0;
  for (let i = 0; i < na; i++) {
    let rowSum = 0;
    const ai = i * dim;
    for (let j = symmetric ? i + 1 : 0; j < nb; j++) {
      const bj = j * dim;
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const t = a[ai + d] - b[bj + d];
        d2 += t * t;
      }
      rowSum += Math.sqrt(d2);
    }
    total += rowSum;
  }
  return (symmetric ? 2 * total : total) / (na * nb);
}

export function energyDistance(x: Points, y: Points, dim: number): number {
  const n = rowsOf(x, dim, 'energyDistance x');
  const m = rowsOf(y, dim, 'energyDistance y');
  const xa = Float64Array.from(x);
  const ya = Float64Array.from(y);
  const exy = meanDistance(xa, n, ya, m, dim, false);
  const exx = meanDistance(xa, n, xa, n, dim, true);
  const eyy = meanDistance(ya, m, ya, m, dim, true);
  const e = 2 * exy - exx - eyy;
  return Number.isNaN(e) ? NaN : Math.max(0, e);
}
