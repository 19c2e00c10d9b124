/** Comparing an engine's outputs with a reference's, for the GPU checks. */

/** max over outputs of max |got − reference| / (1 + max |reference|) of that output (NaN counts as ∞). */
export function relativeError(reference: Float32Array[], got: Float32Array[]): number {
  let worst = 0;
  reference.forEach((r, i) => {
    let err = 0;
    let scale = 0;
    for (let k = 0; k < r.length; k++) {
      err = Math.max(err, Math.abs(got[i][k] - r[k]));
      scale = Math.max(scale, Math.abs(r[k]));
    }
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err / (1 + scale));
  });
  return worst;
}
