/**
 * Sliced Wasserstein-1 distance: the mean, over random unit directions θ, of the 1-D
 * Wasserstein-1 distance between the projections ⟨x, θ⟩ and ⟨y, θ⟩. The 1-D distance is
 * computed exactly between the two empirical measures, ∫₀¹ |F⁻¹(t) − G⁻¹(t)| dt, by walking
 * the merged quantile breakpoints {i/n} ∪ {j/m} (for n = m this is mean |x₍ᵢ₎ − y₍ᵢ₎|).
 */
import { Rng } from '../util/rng.js';
import { rowsOf } from './shape.js';
import type { Points } from './shape.js';

export interface SlicedOptions {
  /** Number of random directions (default 128). */
  projections?: number;
  /** Source of the directions (default `new Rng(0)`). */
  rng?: Rng;
}

/** Exact W1 between two empirical 1-D measures given their sorted supports. */
export function wasserstein1Sorted(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  if (n === m) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i] - b[i]);
    return s / n;
  }
  // Breakpoints in units of 1/(n·m): a's quantile steps at (i+1)·m, b's at (j+1)·n.
  let i = 0;
  let j = 0;
  let t = 0;
  let s = 0;
  const total = n * m;
  while (t < total) {
    const ta = (i + 1) * m;
    const tb = (j + 1) * n;
    const next = Math.min(ta, tb);
    s += (next - t) * Math.abs(a[i] - b[j]);
    t = next;
    if (ta === next) i++;
    if (tb === next) j++;
  }
  return s / total;
}

export function slicedWasserstein(x: Points, y: Points, dim: number, opts: SlicedOptions = {}): number {
  const n = rowsOf(x, dim, 'slicedWasserstein x');
  const m = rowsOf(y, dim, 'slicedWasserstein y');
  const projections = opts.projections ?? 128;
  if (!Number.isInteger(projections) || projections < 1) {
    throw new RangeError(`slicedWasserstein: projections is ${projections}, expected an integer ≥ 1`);
  }
  const rng = opts.rng ?? new Rng(0);
  const theta = new Float64Array(dim);
  const px = new Float64Array(n);
  const py = new Float64Array(m);
  let total = 0;
  for (let p = 0; p < projections; p++) {
    let norm = 0;
    do {
      norm = 0;
      for (let d = 0; d < dim; d++) {
        theta[d] = rng.normal();
        norm += theta[d] * theta[d];
      }
    } while (!(norm > 1e-24));
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) theta[d] /= norm;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += x[i * dim + d] * theta[d];
      px[i] = s;
    }
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += y[j * dim + d] * theta[d];
      py[j] = s;
    }
    px.sort();
    py.sort();
    total += wasserstein1Sorted(px, py);
  }
  return total / projections;
}
