/**
 * Strays without a known support: a sample is far from the data when its nearest data point is
 * farther than all but (1 − quantile) of held-out data points' nearest data points are. For
 * data that lie on curves, rings or narrow modes this is the off-support share of
 * src/eval/support.ts measured from the data alone, so a CSV of the user's own points gets it
 * too. By construction about 1 − quantile of fresh data points are "far" themselves.
 */

export interface FarFromData {
  /** Share of the samples farther from every reference point than the threshold. */
  share: number;
  /** The `quantile` of the held-out points' distances to their nearest reference point. */
  threshold: number;
  quantile: number;
  /** Samples and reference / held-out data points used. */
  samples: number;
  reference: number;
  heldOut: number;
}

/**
 * Nearest-neighbour distances to a fixed set of rows, exact: the rows sorted by their first
 * coordinate, a query searches outwards from its place in that order and stops on each side
 * once the first coordinate alone is farther than the best distance found.
 */
class NearestRows {
  private readonly rows: Float32Array;
  private readonly first: Float64Array;

  constructor(
    ref: Float32Array,
    private readonly dim: number,
  ) {
    const m = ref.length / dim;
    const order = Array.from({ length: m }, (_, j) => j).sort((a, b) => ref[a * dim] - ref[b * dim] || a - b);
    this.rows = new Float32Array(ref.length);
    this.first = new Float64Array(m);
    order.forEach((j, r) => {
      this.rows.set(ref.subarray(j * dim, (j + 1) * dim), r * dim);
      this.first[r] = ref[j * dim];
    });
  }

  /** Distance from row i of `x` to its nearest row (NaN coordinates: Infinity). */
  distance(x: Float32Array, i: number): number {
    const { dim, rows, first } = this;
    const o = i * dim;
    const q0 = x[o];
    let lo = 0;
    let hi = first.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (first[mid] < q0) lo = mid + 1;
      else hi = mid;
    }
    let best = Infinity;
    const tryRow = (r: number): void => {
      let s = 0;
      const p = r * dim;
      for (let k = 0; k < dim && s < best; k++) {
        const d = x[o + k] - rows[p + k];
        s += d * d;
      }
      if (s < best) best = s;
    };
    for (let r = lo; r < first.length && (first[r] - q0) ** 2 < best; r++) tryRow(r);
    for (let r = lo - 1; r >= 0 && (q0 - first[r]) ** 2 < best; r--) tryRow(r);
    if (Number.isNaN(q0)) for (let r = 0; r < first.length; r++) tryRow(r);
    return Math.sqrt(best);
  }
}

/**
 * The far-from-data share of `samples` against `reference` data, with the threshold set by
 * `heldOut` data points (drawn independently of `reference`: no shared rows).
 */
export function farFromData(samples: Float32Array, reference: Float32Array, heldOut: Float32Array, dim: number, quantile = 0.99): FarFromData {
  for (const [name, a] of [['samples', samples], ['reference', reference], ['heldOut', heldOut]] as const) {
    if (a.length === 0 || a.length % dim !== 0) throw new RangeError(`farFromData: ${name} has ${a.length} values, expected a positive multiple of dim ${dim}`);
  }
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`farFromData: quantile ${quantile}, expected 0 < q < 1`);
  const n = samples.length / dim;
  const m = reference.length / dim;
  const h = heldOut.length / dim;
  const nearest = new NearestRows(reference, dim);
  const held = Float64Array.from({ length: h }, (_, i) => nearest.distance(heldOut, i)).sort();
  const threshold = held[Math.min(h - 1, Math.ceil(quantile * h) - 1)];
  let far = 0;
  for (let i = 0; i < n; i++) if (!(nearest.distance(samples, i) <= threshold)) far++;
  return { share: far / n, threshold, quantile, samples: n, reference: m, heldOut: h };
}
