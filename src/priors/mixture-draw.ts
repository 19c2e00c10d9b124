/**
 * Draws from a Gaussian mixture given as arrays: the sampler that both the `data-gmm` prior
 * (./mixture.ts, our seeded Rng) and the reader of exports (src/exported/prior.ts, the
 * examples' generator) run, so that the two draw alike. No imports: it goes into every bundle.
 */

/**
 * n draws (row-major n×dim): first one uniform per draw picks the first component whose
 * cumulative weight exceeds u·Σweights, then n·dim standard normals z give x = means[c] + L_c·z
 * (L_c = chols[c], lower triangular, dim×dim row-major).
 */
export function drawMixture(
  weights: ArrayLike<number>,
  means: ArrayLike<number>,
  chols: ArrayLike<number>,
  dim: number,
  n: number,
  uniform: () => number,
  normals: (count: number) => ArrayLike<number>,
): Float32Array {
  const k = weights.length;
  const cumulative = new Float64Array(k);
  let total = 0;
  for (let c = 0; c < k; c++) cumulative[c] = total += weights[c];
  const pick = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const u = uniform() * total;
    let c = 0;
    while (c < k - 1 && u >= cumulative[c]) c++;
    pick[i] = c;
  }
  const z = normals(n * dim);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = pick[i];
    for (let r = 0; r < dim; r++) {
      let s = means[c * dim + r];
      for (let j = 0; j <= r; j++) s += chols[(c * dim + r) * dim + j] * z[i * dim + j];
      x[i * dim + r] = s;
    }
  }
  return x;
}
