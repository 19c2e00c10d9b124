/** How far one array of numbers is from another, as the tests that compare samplers measure it. */

/** The largest difference between `a` and `b`, as a fraction of `a`'s largest magnitude. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / scale;
}
