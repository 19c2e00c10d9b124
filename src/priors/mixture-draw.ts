/**
 * Draws from a Gaussian mixture given as arrays: the sampler that both the `data-gmm` prior
 * (./mixture.ts, our seeded Rng) and the reader of exports (src/exported/prior.ts, the
 * examples' generator) run, so that the two draw alike. No imports: it goes into every bundle.
 */

/** One uniform per draw picks the first component whose cumulative weight exceeds u·Σweights. */
function pickComponents(weights: ArrayLike<number>, n: number, uniform: () => number): Uint32Array {
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
  return pick;
}

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
  const pick = pickComponents(weights, n, uniform);
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

/**
 * means[c] + W_c·z for `rows` draws of component c at once (z: rows×rank, row-major; the result
 * rows×dim): a faster product than the loop below may be passed in (the engine's GEMM).
 */
export type ComponentProjection = (c: number, z: Float32Array, rows: number) => Float32Array;

/**
 * n draws (row-major n×dim) from a mixture of low-rank + diagonal Gaussians (the image form of
 * `data-gmm`): the n component picks as drawMixture's, then n·rank standard normals z, then
 * n·dim standard normals e give x = means[c] + W_c·z + diagStds[c] ⊙ e (W_c = factors[c],
 * dim×rank row-major), clamped to [−1, 1] when `clamp`. `project`, when given, computes
 * means[c] + W_c·z for each component's draws together.
 */
export function drawLowRankMixture(
  weights: ArrayLike<number>,
  means: ArrayLike<number>,
  factors: ArrayLike<number>,
  diagStds: ArrayLike<number>,
  dim: number,
  rank: number,
  clamp: boolean,
  n: number,
  uniform: () => number,
  normals: (count: number) => ArrayLike<number>,
  project?: ComponentProjection,
): Float32Array {
  const pick = pickComponents(weights, n, uniform);
  const z = normals(n * rank);
  const e = normals(n * dim);
  const x = new Float32Array(n * dim);
  const finish = (i: number, r: number, s: number): void => {
    const v = s + diagStds[pick[i] * dim + r] * e[i * dim + r];
    x[i * dim + r] = clamp ? (v < -1 ? -1 : v > 1 ? 1 : v) : v;
  };
  if (project) {
    for (let c = 0; c < weights.length; c++) {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (pick[i] === c) rows.push(i);
      if (rows.length === 0) continue;
      const zc = new Float32Array(rows.length * rank);
      rows.forEach((i, k) => {
        for (let j = 0; j < rank; j++) zc[k * rank + j] = z[i * rank + j];
      });
      const y = project(c, zc, rows.length);
      rows.forEach((i, k) => {
        for (let r = 0; r < dim; r++) finish(i, r, y[k * dim + r]);
      });
    }
    return x;
  }
  for (let i = 0; i < n; i++) {
    const c = pick[i];
    const zi = i * rank;
    for (let r = 0; r < dim; r++) {
      let s = means[c * dim + r];
      const row = (c * dim + r) * rank;
      for (let j = 0; j < rank; j++) s += factors[row + j] * z[zi + j];
      finish(i, r, s);
    }
  }
  return x;
}
