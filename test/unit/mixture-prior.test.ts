import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { DataError } from '../../src/data/types.js';
import { meanCovariance, priorFromState } from '../../src/priors/index.js';
import { dataMixturePrior, fitGaussianMixture, mixturePrior } from '../../src/priors/mixture.js';
import { defaultImageMixtureComponents, fitClusterMixture } from '../../src/priors/cluster-mixture.js';
import { drawLowRankMixture } from '../../src/priors/mixture-draw.js';
import { initEngine } from '../../src/engine/index.js';
import { makeImageDataset } from '../../src/data/images/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { deriveSetup } from '../../src/train/trainer.js';

/** Three known 2-D Gaussians: weights, means and Cholesky factors (lower, row-major). */
const TRUE = {
  weights: [0.5, 0.3, 0.2],
  means: [
    [-4, 0],
    [3, 3],
    [2, -4],
  ],
  chols: [
    [1, 0, 0.5, 0.4],
    [0.3, 0, 0, 1.5],
    [0.8, 0, -0.6, 0.3],
  ],
};

function drawTrue(n: number, rng: Rng): { points: Float32Array; labels: Uint8Array } {
  const points = new Float32Array(n * 2);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    const j = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
    const [m0, m1] = TRUE.means[j];
    const [l00, , l10, l11] = TRUE.chols[j];
    const z0 = rng.normal();
    const z1 = rng.normal();
    points[2 * i] = m0 + l00 * z0;
    points[2 * i + 1] = m1 + l10 * z0 + l11 * z1;
    labels[i] = j;
  }
  return { points, labels };
}

/** Index of the true component whose mean is nearest (a, b). */
function matchTrue(a: number, b: number): number {
  let best = 0;
  let bestD = Infinity;
  TRUE.means.forEach(([m0, m1], j) => {
    const d = (a - m0) ** 2 + (b - m1) ** 2;
    if (d < bestD) [best, bestD] = [j, d];
  });
  return best;
}

test('Gaussian mixture: EM recovers the weights, means and covariances of a known 3-component mixture', () => {
  const { points } = drawTrue(20000, new Rng(1));
  const f = fitGaussianMixture(points, 2, 3, new Rng(2));
  assert.equal(f.weights.length, 3);
  const seen = new Set<number>();
  for (let c = 0; c < 3; c++) {
    const j = matchTrue(f.means[2 * c], f.means[2 * c + 1]);
    seen.add(j);
    assert.ok(Math.abs(f.weights[c] - TRUE.weights[j]) < 0.02, `weight ${f.weights[c]} vs ${TRUE.weights[j]}`);
    assert.ok(Math.hypot(f.means[2 * c] - TRUE.means[j][0], f.means[2 * c + 1] - TRUE.means[j][1]) < 0.06, `mean of component ${j}`);
    // covariance L Lᵀ against the true one
    const l = f.chols.subarray(4 * c, 4 * c + 4);
    const t = TRUE.chols[j];
    const fitCov = [l[0] * l[0], l[0] * l[2], l[2] * l[2] + l[3] * l[3]];
    const trueCov = [t[0] * t[0], t[0] * t[2], t[2] * t[2] + t[3] * t[3]];
    fitCov.forEach((v, i) => assert.ok(Math.abs(v - trueCov[i]) < 0.06 + 0.05 * Math.abs(trueCov[i]), `cov[${i}] of component ${j}: ${v} vs ${trueCov[i]}`));
  }
  assert.equal(seen.size, 3, 'each true component found once');
  // EM never ends below its own start: more iterations, a likelihood at least as high (within the stop tolerance)
  const short = fitGaussianMixture(points, 2, 3, new Rng(2), { maxIterations: 2 });
  assert.ok(f.logLikelihood >= short.logLikelihood - 1e-5, `${f.logLikelihood} vs ${short.logLikelihood} after 2 iterations`);
});

test('Gaussian mixture: widening adds its share of the data variance to every component, nothing else', () => {
  const { points } = drawTrue(5000, new Rng(11));
  const tight = fitGaussianMixture(points, 2, 3, new Rng(12));
  const wide = fitGaussianMixture(points, 2, 3, new Rng(12), { widen: 0.05 });
  let meanVar = 0;
  const { cov } = meanCovariance(points, 2);
  meanVar = (cov[0] + cov[3]) / 2;
  assert.deepEqual(Array.from(wide.weights), Array.from(tight.weights));
  assert.deepEqual(Array.from(wide.means), Array.from(tight.means));
  const covOf = (l: Float64Array) => [l[0] * l[0], l[0] * l[2], l[2] * l[2] + l[3] * l[3]];
  for (let c = 0; c < 3; c++) {
    const t = covOf(tight.chols.subarray(4 * c, 4 * c + 4));
    const w = covOf(wide.chols.subarray(4 * c, 4 * c + 4));
    // the data's variance here is over n, the fit's over n − 1: 1e-3 relative
    assert.ok(Math.abs(w[0] - t[0] - 0.05 * meanVar) < 1e-3 * meanVar, `component ${c}: var x ${t[0]} → ${w[0]}`);
    assert.ok(Math.abs(w[1] - t[1]) < 1e-9, `component ${c}: covariance unchanged`);
    assert.ok(Math.abs(w[2] - t[2] - 0.05 * meanVar) < 1e-3 * meanVar, `component ${c}: var y ${t[2]} → ${w[2]}`);
  }
});

test('mixture prior: draws follow the weights and each component; seeded, and rebuilt exactly from its state', () => {
  // the true mixture with its means 10× apart, so that the nearest mean names each draw's component
  const far = TRUE.means.map(([a, b]) => [10 * a, 10 * b]);
  const nearestFar = (a: number, b: number) => matchTrue(a / 10, b / 10);
  const prior = mixturePrior({ name: 'data-gmm', dim: 2, weights: TRUE.weights, means: far.flat(), chols: TRUE.chols.flat() });
  const n = 60000;
  const x = prior.sample(n, new Rng(3));
  const groups: number[][] = [[], [], []];
  for (let i = 0; i < n; i++) groups[nearestFar(x[2 * i], x[2 * i + 1])].push(i);
  TRUE.weights.forEach((w, j) => {
    const share = groups[j].length / n;
    // binomial σ ≤ 0.002
    assert.ok(Math.abs(share - w) < 0.008, `share of component ${j}: ${share} vs ${w}`);
  });
  // each component's moments: mean μ, covariance L Lᵀ
  groups.forEach((rows, j) => {
    const pts = Float32Array.from(rows.flatMap((i) => [x[2 * i], x[2 * i + 1]]));
    const { mean, cov } = meanCovariance(pts, 2);
    const [l00, , l10, l11] = TRUE.chols[j];
    const want = [l00 * l00, l00 * l10, l00 * l10, l10 * l10 + l11 * l11];
    assert.ok(Math.hypot(mean[0] - far[j][0], mean[1] - far[j][1]) < 0.06, `mean of ${j}: ${Array.from(mean)}`);
    want.forEach((c, i) => assert.ok(Math.abs(cov[i] - c) < 0.03 + 0.05 * c, `cov[${i}] of ${j}: ${cov[i]} vs ${c}`));
  });
  assert.deepEqual(Array.from(prior.sample(7, new Rng(4))), Array.from(prior.sample(7, new Rng(4))));
  assert.notDeepEqual(Array.from(prior.sample(7, new Rng(4))), Array.from(prior.sample(7, new Rng(5))));
  const again = priorFromState(JSON.parse(JSON.stringify(prior.toJSON())));
  assert.equal(again.name, 'data-gmm');
  assert.deepEqual(Array.from(again.sample(9, new Rng(6))), Array.from(prior.sample(9, new Rng(6))));
});

test('mixture prior fitted to data: the components share the mass as the data do', () => {
  const { points, labels } = drawTrue(20000, new Rng(7));
  const prior = dataMixturePrior(points, 2, 3, new Rng(8));
  const x = prior.sample(20000, new Rng(9));
  const share = (pts: Float32Array, j: number) => {
    let c = 0;
    for (let i = 0; i < pts.length / 2; i++) if (matchTrue(pts[2 * i], pts[2 * i + 1]) === j) c++;
    return c / (pts.length / 2);
  };
  for (let j = 0; j < 3; j++) {
    const data = labels.filter((l) => l === j).length / labels.length;
    assert.ok(Math.abs(share(x, j) - data) < 0.02, `component ${j}: prior ${share(x, j)} vs data ${data}`);
  }
});

test('mixture prior: clear errors for many dimensions, too few points and identical points', () => {
  const rng = new Rng(1);
  assert.throws(() => fitGaussianMixture(new Float32Array(100 * 65), 65, 2, rng), (e: unknown) => e instanceof DataError && /≤ 64 dims.*data-gaussian/.test(e.message));
  assert.throws(() => fitGaussianMixture(new Float32Array(2 * 10), 2, 8, rng), (e: unknown) => e instanceof DataError && /10 points for 8 components/.test(e.message));
  assert.throws(() => fitGaussianMixture(new Float32Array(2 * 100).fill(3), 2, 4, rng), (e: unknown) => e instanceof DataError && /every data point is the same/.test(e.message));
  assert.throws(() => fitGaussianMixture(new Float32Array(20), 2, 0, rng), RangeError);
  assert.throws(() => mixturePrior({ name: 'data-gmm', dim: 2, weights: [1], means: [0], chols: [1, 0, 0, 1] }), /k×2 means/);
});

/**
 * Three clusters of 16-value "images" around far-apart centres, each with a known covariance:
 * two directions of spread (a rank-2 factor) plus a little per-pixel noise.
 */
function clusteredImages(n: number, rng: Rng): { points: Float32Array; labels: Uint8Array; centres: number[][] } {
  const dim = 16;
  const centres = [0, 1, 2].map((c) => Array.from({ length: dim }, (_, a) => (a % 3 === c ? 0.6 : -0.6)));
  const points = new Float32Array(n * dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 5 === 0 ? 2 : i % 2; // shares ≈ 0.4, 0.4, 0.2
    labels[i] = c;
    const z0 = rng.normal();
    const z1 = rng.normal();
    for (let a = 0; a < dim; a++) points[i * dim + a] = centres[c][a] + 0.2 * z0 * Math.cos(a + c) + 0.1 * z1 * (a % 2) + 0.02 * rng.normal();
  }
  return { points, labels, centres };
}

test('image mixture (k-means + low rank): each cluster\'s share, mean and covariance match the data\'s, in float64', async () => {
  await initEngine('cpu');
  const dim = 16;
  const { points, labels, centres } = clusteredImages(3000, new Rng(21));
  const s = await fitClusterMixture(points, dim, 3, new Rng(22), { rank: 4 });
  assert.equal(s.weights.length, 3);
  assert.equal(s.rank, 4);
  const seen = new Set<number>();
  for (let c = 0; c < 3; c++) {
    const mean = Array.from(s.means).slice(c * dim, (c + 1) * dim);
    // the true cluster whose centre is nearest this component's mean
    const j = centres.map((m) => m.reduce((acc, v, a) => acc + (v - mean[a]) ** 2, 0)).reduce((b, d, i, all) => (d < all[b] ? i : b), 0);
    seen.add(j);
    const members = Float32Array.from(Array.from(labels).flatMap((l, i) => (l === j ? Array.from(points.subarray(i * dim, (i + 1) * dim)) : [])));
    const ref = meanCovariance(members, dim); // float64 reference over the cluster's own images
    assert.ok(Math.abs(s.weights[c] - members.length / dim / 3000) < 1e-9, `weight of ${j}: ${s.weights[c]}`);
    mean.forEach((v, a) => assert.ok(Math.abs(v - ref.mean[a]) < 1e-5, `mean[${a}] of ${j}`));
    // W Wᵀ + diag(d²) against the sample covariance: the rank-2 spread is captured, the diagonal exactly
    let worst = 0;
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        let v = 0;
        for (let k = 0; k < 4; k++) v += s.factors[(c * dim + a) * 4 + k] * s.factors[(c * dim + b) * 4 + k];
        if (a === b) v += s.diagStds[c * dim + a] ** 2;
        const jitter = a === b ? 1e-4 : 0;
        worst = Math.max(worst, Math.abs(v - ref.cov[a * dim + b] - jitter));
      }
    }
    assert.ok(worst < 2e-4, `covariance of cluster ${j}: worst entry off by ${worst}`);
  }
  assert.equal(seen.size, 3, 'each true cluster found once');
});

test('image mixture prior: draws follow the clusters, clamp to [−1, 1], and the engine\'s GEMM draws as the plain loop', async () => {
  await initEngine('wasm');
  const dim = 16;
  const { points, centres } = clusteredImages(2000, new Rng(31));
  const state = await fitClusterMixture(points, dim, 3, new Rng(32), { rank: 3, clamp: true });
  const prior = mixturePrior(state);
  const n = 6000;
  const x = prior.sample(n, new Rng(33));
  assert.ok(x.every((v) => v >= -1 && v <= 1), 'clamped');
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * dim, (i + 1) * dim);
    const d = centres.map((m) => m.reduce((acc, v, a) => acc + (v - row[a]) ** 2, 0));
    counts[d.indexOf(Math.min(...d))]++;
  }
  [0.4, 0.4, 0.2].forEach((w, j) => assert.ok(Math.abs(counts[j] / n - w) < 0.02, `cluster ${j}: ${counts[j] / n} of the draws, data ${w}`));
  // the same random numbers through the plain loop (mixture-draw.ts alone): equal within float32 rounding
  const fast = prior.sample(50, new Rng(34));
  const plain = drawLowRankMixture(state.weights, state.means, state.factors, state.diagStds, dim, state.rank, true, 50, ...rngFns(new Rng(34)));
  assert.ok(maxAbsDiff(fast, plain) < 1e-5, `GEMM vs loop: ${maxAbsDiff(fast, plain)}`);
  process.env.DGGF_FUSED = '0';
  try {
    assert.deepEqual(Array.from(prior.sample(50, new Rng(34))), Array.from(plain), 'without our kernels: the loop itself');
  } finally {
    delete process.env.DGGF_FUSED;
  }
  // seeded, and rebuilt from its state (as JSON) to the same draws
  assert.notDeepEqual(Array.from(prior.sample(7, new Rng(4))), Array.from(prior.sample(7, new Rng(5))));
  const again = priorFromState(JSON.parse(JSON.stringify(prior.toJSON())));
  assert.ok(maxAbsDiff(again.sample(9, new Rng(6)), prior.sample(9, new Rng(6))) === 0);
});

const rngFns = (rng: Rng): [() => number, (count: number) => Float32Array] => [() => rng.uniform(), (count) => rng.normalArray(count)];
const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('image mixture prior: clear errors for too few images, identical images and a state of the wrong size', async () => {
  await initEngine('cpu');
  const rng = new Rng(1);
  await assert.rejects(fitClusterMixture(new Float32Array(10 * 16), 16, 8, rng), (e: unknown) => e instanceof DataError && /10 images for 8 clusters.*--prior-components/.test(e.message));
  await assert.rejects(fitClusterMixture(new Float32Array(40 * 16).fill(0.5), 16, 4, rng), (e: unknown) => e instanceof DataError && /4 clusters: every image is the same.*--prior-components 1/.test(e.message));
  // one cluster of identical images (a tiny folder's default) is that image plus the jitter, as the DDP
  const point = await fitClusterMixture(new Float32Array(6 * 16).fill(0.5), 16, 1, rng);
  assert.deepEqual(Array.from(point.weights), [1]);
  assert.ok(Array.from(point.factors).every((v) => v === 0));
  assert.ok(Array.from(point.diagStds).every((v) => Math.abs(v - 1e-2) < 1e-6), 'std √1e-4');
  const draws = mixturePrior(point).sample(50, rng);
  assert.ok(draws.every((v) => Math.abs(v - 0.5) < 0.06), 'draws stay at the image');
  const ok = { name: 'data-gmm', dim: 4, weights: [1], means: [0, 0, 0, 0], rank: 2, factors: new Array(8).fill(0), diagStds: [1, 1, 1, 1] } as const;
  assert.throws(() => mixturePrior({ ...ok, factors: [0, 0] }), (e: unknown) => e instanceof DataError && /k×4×2 factors/.test(e.message));
  assert.throws(() => mixturePrior({ ...ok, diagStds: [1] }), (e: unknown) => e instanceof DataError && /diagonal/.test(e.message));
  assert.throws(() => mixturePrior({ ...ok, rank: 0 }), (e: unknown) => e instanceof DataError && /rank/.test(e.message));
});

test('data-gmm on an image dataset: k-means clusters, each a low-rank Gaussian, clamped to [−1, 1]; κ as from the data-dependent prior', async () => {
  await initEngine('cpu');
  const image = { height: 4, width: 4, channels: 1 } as const;
  const rng = new Rng(41);
  const { points } = clusteredImages(60, rng);
  const pixels = Uint8Array.from(points, (v) => Math.round(Math.min(255, Math.max(0, (v + 1) * 127.5))));
  const ds = makeImageDataset({ name: 'tiny-images', image, train: { count: 60, pixels }, flip: false });
  const { config } = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'tiny-images', prior: 'data-gmm', priorComponents: 3 }, defaults: {} });
  assert.equal(config.sampleExtraSteps, 20);
  const derived = await deriveSetup(config, ds);
  const p = derived.prior;
  assert.equal(p.name, 'data-gmm');
  if (p.name !== 'data-gmm' || 'chols' in p) throw new Error('expected the low-rank form');
  assert.equal(p.weights.length, 3);
  assert.equal(p.clamp, true);
  const draws = priorFromState(p).sample(200, new Rng(42));
  assert.ok(draws.every((v) => v >= -1 && v <= 1));
  // by default one cluster per 85 images (here 60: one)
  const byDefault = (await deriveSetup(resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'tiny-images', prior: 'data-gmm' }, defaults: {} }).config, ds)).prior;
  assert.equal(byDefault.name === 'data-gmm' && byDefault.weights.length, 1);
  // one per 85 images, 1 to 64: emoji's 3,403 images keep the 40 clusters they were measured with, MNIST's 10,000 fitted get 64
  assert.deepEqual([49, 170, 3403, 5439, 5440, 10000, 60000].map(defaultImageMixtureComponents), [1, 2, 40, 63, 64, 64, 64]);
});
