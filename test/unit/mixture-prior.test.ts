import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { DataError } from '../../src/data/types.js';
import { meanCovariance, priorFromState } from '../../src/priors/index.js';
import { dataMixturePrior, fitGaussianMixture, mixturePrior } from '../../src/priors/mixture.js';
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

test('mixture prior: clear errors for images, too few points and identical points', () => {
  const rng = new Rng(1);
  assert.throws(() => fitGaussianMixture(new Float32Array(100 * 65), 65, 2, rng), (e: unknown) => e instanceof DataError && /≤ 64 dims.*data-gaussian/.test(e.message));
  assert.throws(() => fitGaussianMixture(new Float32Array(2 * 10), 2, 8, rng), (e: unknown) => e instanceof DataError && /10 points for 8 components/.test(e.message));
  assert.throws(() => fitGaussianMixture(new Float32Array(2 * 100).fill(3), 2, 4, rng), (e: unknown) => e instanceof DataError && /every data point is the same/.test(e.message));
  assert.throws(() => fitGaussianMixture(new Float32Array(20), 2, 0, rng), RangeError);
  assert.throws(() => mixturePrior({ name: 'data-gmm', dim: 2, weights: [1], means: [0], chols: [1, 0, 0, 1] }), /k×2 means/);
});

test('data-gmm on an image dataset: a clear DataError naming the dataset and the prior to use', async () => {
  await initEngine('cpu');
  const image = { height: 4, width: 4, channels: 1 } as const;
  const ds = makeImageDataset({ name: 'tiny-images', image, train: { count: 20, pixels: new Uint8Array(20 * 16).map((_, i) => (i * 37) % 256) }, flip: false });
  const { config } = resolveConfig({ preset: 'toy', overrides: { data: 'tiny-images', prior: 'data-gmm' }, defaults: {} });
  await assert.rejects(deriveSetup(config, ds), (e: unknown) => e instanceof DataError && /tiny-images holds images: use --prior data-gaussian/.test(e.message));
});
