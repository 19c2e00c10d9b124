/** Shape checks shared by the metrics: row-major arrays of `dim` columns. */

export type Points = ArrayLike<number>;

/** Number of rows of a row-major array, or a RangeError naming `what`. */
export function rowsOf(x: Points, dim: number, what: string, minRows = 1): number {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new RangeError(`${what}: dim is ${dim}, expected an integer ≥ 1`);
  }
  if (x.length % dim !== 0) {
    throw new RangeError(`${what}: ${x.length} values is not a whole number of rows of ${dim}, expected a multiple of ${dim}`);
  }
  const n = x.length / dim;
  if (n < minRows) {
    throw new RangeError(`${what}: ${n} point${n === 1 ? '' : 's'}, expected at least ${minRows}`);
  }
  return n;
}
