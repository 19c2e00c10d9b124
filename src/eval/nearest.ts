/**
 * Exact nearest-neighbour search over a fixed set of rows (row-major, `dim` values each, squared
 * Euclidean distance): the rows sorted by their coordinate of largest variance, a query searches
 * outwards from its place in that order and stops on each side once that coordinate alone is
 * farther than the best distance found. Ties go to the lowest row index, as a plain scan in row
 * order would. In 2-D it visits a few rows per query; in many dimensions it prunes little.
 */
export class NearestRows {
  private readonly rows: Float32Array;
  /** The sort coordinate of each sorted row. */
  private readonly first: Float64Array;
  /** Which coordinate the rows are sorted by. */
  private readonly axis: number;
  /** Original index of each sorted row. */
  private readonly index: Int32Array;

  constructor(
    ref: Float32Array,
    private readonly dim: number,
  ) {
    if (!(Number.isInteger(dim) && dim >= 1) || ref.length % dim !== 0) {
      throw new RangeError(`NearestRows: ${ref.length} values are not rows of dim ${dim}`);
    }
    const m = ref.length / dim;
    const mean = new Float64Array(dim);
    const sq = new Float64Array(dim);
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < dim; k++) {
        const v = ref[j * dim + k];
        mean[k] += v;
        sq[k] += v * v;
      }
    }
    let axis = 0;
    for (let k = 1; k < dim; k++) if (sq[k] - (mean[k] * mean[k]) / m > sq[axis] - (mean[axis] * mean[axis]) / m) axis = k;
    this.axis = axis;
    const order = Array.from({ length: m }, (_, j) => j).sort((a, b) => ref[a * dim + axis] - ref[b * dim + axis] || a - b);
    this.rows = new Float32Array(ref.length);
    this.first = new Float64Array(m);
    this.index = Int32Array.from(order);
    order.forEach((j, r) => {
      this.rows.set(ref.subarray(j * dim, (j + 1) * dim), r * dim);
      this.first[r] = ref[j * dim + axis];
    });
  }

  /** Row i of `x`: the distance to its nearest row and that row's index (NaN coordinates: Infinity, −1). */
  nearest(x: Float32Array, i: number): { distance: number; index: number } {
    const { dim, rows, first, index } = this;
    const o = i * dim;
    const q0 = x[o + this.axis];
    let lo = 0;
    let hi = first.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (first[mid] < q0) lo = mid + 1;
      else hi = mid;
    }
    let best = Infinity;
    let at = -1;
    const tryRow = (r: number): void => {
      let s = 0;
      const p = r * dim;
      for (let k = 0; k < dim && s <= best; k++) {
        const d = x[o + k] - rows[p + k];
        s += d * d;
      }
      if (s < best || (s === best && index[r] < at)) {
        best = s;
        at = index[r];
      }
    };
    for (let r = lo; r < first.length && (first[r] - q0) ** 2 <= best; r++) tryRow(r);
    for (let r = lo - 1; r >= 0 && (q0 - first[r]) ** 2 <= best; r--) tryRow(r);
    if (Number.isNaN(q0)) for (let r = 0; r < first.length; r++) tryRow(r);
    return { distance: Math.sqrt(best), index: at };
  }

  /** Row i of `x`: the distance to its nearest row. */
  distance(x: Float32Array, i: number): number {
    return this.nearest(x, i).distance;
  }
}
