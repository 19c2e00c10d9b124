import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { initEngine, tf } from '../../src/engine/index.js';
import { DataError, type ImageDataset, type ImageSplit } from '../../src/data/types.js';
import { fid, fitGaussian, frechetDistance, sqrtPsd, symmetricEigen, traceSqrtProduct, type GaussianFit } from '../../src/eval/fid.js';
import { kid } from '../../src/eval/kid.js';
import {
  ClassifierFileError,
  classifierFeatures,
  classifierLogits,
  classifierLogProbs,
  createClassifier,
  guidanceFunction,
} from '../../src/nets/classifier.js';
import { l2AttackStep, l2Attack } from '../../src/guidance/attacks.js';
import { classifierSplits, trainClassifier, type TrainClassifierOptions } from '../../src/train/classifier.js';
import { loadClassifier, saveClassifier } from '../../src/train/classifier-file.js';
import { classifySamples, extractFeatures, featureNetDir, imageMetrics, loadFeatureNet, trainFeatureNet } from '../../src/eval/features.js';
import { main } from '../../src/cli/main.js';

// ---------------------------------------------------------------- linear algebra helpers

function randomOrthogonal(n: number, rng: Rng): Float64Array {
  // Gram–Schmidt on a Gaussian matrix (columns)
  const q = Float64Array.from(rng.normalArray(n * n));
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * n + j] * q[i * n + k];
      for (let i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + k];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[i * n + j] /= norm;
  }
  return q;
}

function mul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, transposeB = false): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * (transposeB ? b[j * n + k] : b[k * n + j]);
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Q diag(d) Qᵀ. */
function rotated(q: Float64Array, d: number[], n: number): Float64Array {
  const qd = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qd[i * n + j] = q[i * n + j] * d[j];
  return mul(qd, q, n, true);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function gaussianFit(mean: number[], cov: Float64Array): GaussianFit {
  return { dim: mean.length, n: Infinity, mean: Float64Array.from(mean), cov };
}

/** n draws of N(mean, L Lᵀ) as float32 rows. */
function drawGaussian(n: number, mean: number[], chol: Float64Array, rng: Rng): Float32Array {
  const d = mean.length;
  const z = rng.normalArray(n * d);
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      let s = mean[i];
      for (let k = 0; k <= i; k++) s += chol[i * d + k] * z[r * d + k];
      out[r * d + i] = s;
    }
  }
  return out;
}

// ---------------------------------------------------------------- eigen / FID

test('symmetricEigen: A V = V Λ, Vᵀ V = I, descending order, including repeated eigenvalues', () => {
  const rng = new Rng(1);
  for (const n of [1, 2, 7, 40]) {
    const b = rng.normalArray(n * n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
    const { values, vectors } = symmetricEigen(a, n);
    const av = mul(a, vectors, n);
    const vl = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vl[i * n + j] = vectors[i * n + j] * values[j];
    const scale = Math.max(...Array.from(values, Math.abs));
    assert.ok(maxAbsDiff(av, vl) < 1e-10 * scale, `n=${n}: residual ${maxAbsDiff(av, vl)}`);
    const vtv = mul(Array.from({ length: n * n }, (_, k) => vectors[(k % n) * n + Math.floor(k / n)]), vectors, n);
    const eye = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
    assert.ok(maxAbsDiff(vtv, eye) < 1e-12, `n=${n}: VᵀV − I ${maxAbsDiff(vtv, eye)}`);
    for (let i = 1; i < n; i++) assert.ok(values[i] <= values[i - 1]);
  }
  // repeated eigenvalues (3, 3, 3, 1, 1) in a random basis
  const q = randomOrthogonal(5, rng);
  const { values } = symmetricEigen(rotated(q, [3, 1, 3, 1, 3], 5), 5);
  assert.ok(maxAbsDiff(values, [3, 3, 3, 1, 1]) < 1e-12);
});

test('sqrtPsd squares back to the matrix and clamps rounding-negative eigenvalues', () => {
  const rng = new Rng(2);
  const n = 12;
  const q = randomOrthogonal(n, rng);
  const d = Array.from({ length: n }, (_, i) => (i < 3 ? 0 : 0.1 + i));
  const a = rotated(q, d, n);
  const s = sqrtPsd(a, n);
  assert.ok(maxAbsDiff(mul(s, s, n), a) < 1e-10);
  assert.ok(s.every(Number.isFinite));
});

test('Fréchet distance matches the closed forms: diagonal, jointly rotated, and non-commuting 2×2', () => {
  const rng = new Rng(3);
  const n = 16;
  const m1 = Array.from({ length: n }, () => rng.normal());
  const m2 = Array.from({ length: n }, () => rng.normal());
  const a = Array.from({ length: n }, () => 0.2 + 3 * rng.uniform());
  const b = Array.from({ length: n }, () => 0.2 + 3 * rng.uniform());
  let closed = 0;
  for (let i = 0; i < n; i++) closed += (m1[i] - m2[i]) ** 2 + (Math.sqrt(a[i]) - Math.sqrt(b[i])) ** 2;
  const eye = randomOrthogonal(n, new Rng(0)).map((_, k) => (k % (n + 1) === 0 ? 1 : 0));
  const diag = frechetDistance(gaussianFit(m1, rotated(eye, a, n)), gaussianFit(m2, rotated(eye, b, n)));
  assert.ok(Math.abs(diag - closed) < 1e-9 * closed, `diagonal: ${diag} vs ${closed}`);

  // rotating both Gaussians by one orthogonal Q (means too) leaves the distance unchanged
  const q = randomOrthogonal(n, rng);
  const rot = (m: number[]) => Array.from({ length: n }, (_, i) => m.reduce((s, v, k) => s + q[i * n + k] * v, 0));
  const both = frechetDistance(gaussianFit(rot(m1), rotated(q, a, n)), gaussianFit(rot(m2), rotated(q, b, n)));
  assert.ok(Math.abs(both - closed) < 1e-9 * closed, `rotated: ${both} vs ${closed}`);

  // 2×2, non-commuting: tr √(C₁^{1/2} C₂ C₁^{1/2}) = √(tr(C₁C₂) + 2√(det C₁ det C₂))
  const c1 = rotated(randomOrthogonal(2, rng), [4, 0.5], 2);
  const c2 = rotated(randomOrthogonal(2, rng), [0.3, 2], 2);
  const tr12 = mul(c1, c2, 2)[0] + mul(c1, c2, 2)[3];
  const det = (c: Float64Array) => c[0] * c[3] - c[1] * c[2];
  const expectTrace = Math.sqrt(tr12 + 2 * Math.sqrt(det(c1) * det(c2)));
  assert.ok(Math.abs(traceSqrtProduct(c1, c2, 2) - expectTrace) < 1e-12);
  const expect = 1 + c1[0] + c1[3] + c2[0] + c2[3] - 2 * expectTrace;
  assert.ok(Math.abs(frechetDistance(gaussianFit([1, 0], c1), gaussianFit([0, 0], c2)) - expect) < 1e-12);
  // the other argument order gives the same value
  assert.ok(Math.abs(frechetDistance(gaussianFit([0, 0], c2), gaussianFit([1, 0], c1)) - expect) < 1e-12);
});

test('fid from samples: ≈ closed form for large sets, ≈ 0 for a set against itself', () => {
  const rng = new Rng(4);
  const d = 3;
  const chol = Float64Array.from([1, 0, 0, 0.5, 0.8, 0, -0.3, 0.2, 0.6]);
  const x = drawGaussian(40000, [0, 0, 0], chol, rng);
  const y = drawGaussian(40000, [1, 0, 0], chol, rng);
  assert.ok(fid(x, x, d) < 1e-9, `FID(A, A) = ${fid(x, x, d)}`);
  const v = fid(x, y, d); // exact value: 1 (same covariance, means 1 apart)
  assert.ok(Math.abs(v - 1) < 0.05, `FID ${v}, expected ≈ 1`);
  const fit = fitGaussian(x, d);
  const cov = mul(chol, chol, d, true);
  assert.ok(maxAbsDiff(fit.cov, cov) < 0.03);
  assert.throws(() => fid(x.subarray(0, 5), y, d), /whole number of rows/);
});

// ---------------------------------------------------------------- KID

test('kid: ≈ 0 for one distribution, clearly > 0 for a shifted one; seeded; equals the direct formula', () => {
  const rng = new Rng(5);
  const d = 16;
  const a = rng.normalArray(1500 * d);
  const b = rng.normalArray(1500 * d);
  const shifted = rng.normalArray(1500 * d).map((v, i) => v + (i % d === 0 ? 1 : 0));
  const same = kid(a, b, d, { subsets: 8, subsetSize: 400, seed: 1 });
  const diff = kid(a, shifted, d, { subsets: 8, subsetSize: 400, seed: 1 });
  assert.equal(same.subsetSize, 400);
  assert.ok(Math.abs(same.kid) < 3 * same.std + 1e-3, `same: ${same.kid} ± ${same.std}`);
  assert.ok(diff.kid > 10 * Math.abs(same.kid) && diff.kid > diff.std * 5, `shifted: ${diff.kid} ± ${diff.std}`);
  assert.deepEqual(kid(a, shifted, d, { subsets: 8, subsetSize: 400, seed: 1 }), diff);
  assert.notEqual(kid(a, shifted, d, { subsets: 8, subsetSize: 400, seed: 2 }).kid, diff.kid);

  // whole sets as the single subset: the unbiased MMD² written out
  const n = 9;
  const x = rng.normalArray(n * 3);
  const y = rng.normalArray(n * 3).map((v) => v + 0.3);
  const k = (p: Float32Array, i: number, q: Float32Array, j: number) => ((p[3 * i] * q[3 * j] + p[3 * i + 1] * q[3 * j + 1] + p[3 * i + 2] * q[3 * j + 2]) / 3 + 1) ** 3;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) xx += k(x, i, x, j);
      if (i !== j) yy += k(y, i, y, j);
      xy += k(x, i, y, j);
    }
  }
  const direct = xx / (n * (n - 1)) + yy / (n * (n - 1)) - (2 * xy) / (n * n);
  const r = kid(x, y, 3, { subsets: 3 });
  assert.equal(r.subsetSize, n);
  assert.ok(Math.abs(r.kid - direct) < 1e-12 * Math.abs(direct) + 1e-14);
  assert.ok(r.std < 1e-12); // every subset is the whole set
});

// ---------------------------------------------------------------- classifier

const SHAPE = { height: 6, width: 6, channels: 1 as const };
const TINY = { filters: [4, 8, 8], featureDim: 8 };

/** Class 0: a bright 3×3 patch top-left; class 1: bottom-right; on a noisy dark background. */
function patches(n: number, seed: number): ImageSplit {
  const rng = new Rng(seed);
  const per = 36;
  const pixels = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(2);
    labels[i] = c;
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 6; x++) {
        const inPatch = c === 0 ? y < 3 && x < 3 : y >= 3 && x >= 3;
        const v = (inPatch ? 190 : 60) + 35 * rng.normal();
        pixels[i * per + y * 6 + x] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { count: n, pixels, labels };
}

function patchDataset(): ImageDataset {
  return {
    kind: 'image',
    name: 'patches',
    dim: 36,
    image: SHAPE,
    train: patches(400, 1),
    test: patches(200, 2),
    classNames: ['top-left', 'bottom-right'],
    flip: false,
    dequantize: 0.03,
    notes: [],
    sample: () => {
      throw new Error('not used');
    },
  };
}

function toFloat(split: ImageSplit): Float32Array {
  return Float32Array.from(split.pixels, (v) => v / 127.5 - 1);
}

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dggf-${prefix}-`));
}

test('a tiny classifier learns a 2-class image set on the cpu backend', async () => {
  await initEngine('cpu');
  const before = tf.memory().numTensors;
  const ds = patchDataset();
  const clf = createClassifier({ image: SHAPE, classes: 2, ...TINY }, new Rng(0));
  const seen: number[] = [];
  const r = await trainClassifier(clf, ds, { steps: 40, batch: 16, lr: 3e-3, seed: 1, progressEvery: 20, onProgress: (p) => seen.push(p.step) });
  assert.deepEqual(seen, [20, 40]);
  assert.equal(r.heldOut, 'test');
  assert.equal(r.testCount, 200);
  assert.ok(r.testAccuracy >= 0.95, `test accuracy ${r.testAccuracy}`);

  // guidance function: log-probabilities, differentiable in x
  const x = tf.tensor2d(toFloat(ds.test!).subarray(0, 5 * 36), [5, 36]);
  const lp = guidanceFunction(clf)(x);
  assert.deepEqual(lp.shape, [5, 2]);
  const rows = tf.sum(tf.exp(lp), 1).dataSync();
  for (const s of rows) assert.ok(Math.abs(s - 1) < 1e-5);
  const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.slice(classifierLogProbs(clf, xi), [0, 0], [-1, 1])))(x);
  assert.deepEqual(g.shape, [5, 36]);
  assert.ok(tf.max(tf.abs(g)).dataSync()[0] > 0);
  assert.deepEqual(classifierFeatures(clf, x).shape, [5, 8]);
  tf.dispose([x, lp, g]);
  clf.dispose();
  assert.ok(tf.memory().numTensors - before < 20, `tensors leaked: ${tf.memory().numTensors - before}`);
});

/** The final training loss of a fresh tiny 2-class classifier after 30 steps on `ds` with `extra` options. */
async function tinyTrainLoss(ds: ImageDataset, extra: TrainClassifierOptions = {}): Promise<number> {
  const clf = createClassifier({ image: SHAPE, classes: 2, ...TINY }, new Rng(0));
  try {
    const r = await trainClassifier(clf, ds, { steps: 30, batch: 16, lr: 3e-3, seed: 1, progressEvery: 30, ...extra });
    return r.trainLoss;
  } finally {
    clf.dispose();
  }
}

test('classifier noise augmentation: 0 is the plain run, σ > 0 trains on noisier images (higher loss), negative is refused', async () => {
  await initEngine('cpu');
  const ds = patchDataset();
  const plain = await tinyTrainLoss(ds);
  assert.equal(await tinyTrainLoss(ds, { noise: 0 }), plain, 'noise 0 must leave the run unchanged');
  const noisy = await tinyTrainLoss(ds, { noise: 1.5 });
  assert.ok(noisy > plain + 0.05, `loss with noise ≤ 1.5 (${noisy}) should exceed the clean loss (${plain})`);
  const clf = createClassifier({ image: SHAPE, classes: 2, ...TINY }, new Rng(0));
  await assert.rejects(trainClassifier(clf, ds, { steps: 1, noise: -0.1 }), (e: Error) => e instanceof RangeError && /noise is -0.1/.test(e.message));
  clf.dispose();
});

/**
 * A tiny classifier trained briefly on the patch data, n = 8 random images from `seed` with
 * alternating labels, their one-hot labels, the batch loss at any images, and each image's L2
 * distance from the originals: the setting of the adversarial-attack tests.
 */
async function attackFixture(seed: number) {
  const ds = patchDataset();
  const clf = createClassifier({ image: SHAPE, classes: 2, ...TINY }, new Rng(0));
  await trainClassifier(clf, ds, { steps: 20, batch: 16, lr: 3e-3, seed: 2 });
  const n = 8;
  const per = SHAPE.height * SHAPE.width * SHAPE.channels;
  const shape: [number, number, number, number] = [n, SHAPE.height, SHAPE.width, SHAPE.channels];
  const rng = new Rng(seed);
  const xs = rng.uniformArray(n * per, -1, 1);
  const onehot = tf.oneHot(tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % 2), 'int32'), 2);
  const lossAt = (v: Float32Array): number =>
    tf.tidy(() => tf.losses.softmaxCrossEntropy(onehot, classifierLogits(clf, tf.tensor2d(v, [n, per]))).dataSync()[0]);
  const moves = (v: Float32Array): number[] =>
    Array.from({ length: n }, (_, i) => {
      let sq = 0;
      for (let j = i * per; j < (i + 1) * per; j++) sq += (v[j] - xs[j]) ** 2;
      return Math.sqrt(sq);
    });
  const dispose = () => {
    onehot.dispose();
    clf.dispose();
  };
  return { ds, clf, rng, n, per, shape, xs, onehot, lossAt, moves, dispose };
}

test('classifier adversarial training: the L2 attack step has the radius and raises the loss; 0 is the plain run, negative is refused', async () => {
  await initEngine('cpu');
  const { ds, clf, rng, n, per, shape, xs, onehot, lossAt, moves, dispose } = await attackFixture(3);
  const radius = 0.05;
  const attacked = tf.tidy(() => l2AttackStep(clf, tf.tensor4d(xs, shape), onehot, radius).dataSync()) as Float32Array;
  for (const [i, norm] of moves(attacked).entries()) {
    assert.ok(Math.abs(norm - radius) < 1e-4, `image ${i}: step of norm ${norm}, expected ${radius}`);
  }
  // the attack is the worst direction to first order: worse than random steps of the same norm
  const base = lossAt(xs);
  const attackedLoss = lossAt(attacked);
  for (let t = 0; t < 5; t++) {
    const dir = rng.normalArray(n * per);
    const moved = Float32Array.from(xs);
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let j = i * per; j < (i + 1) * per; j++) sq += dir[j] ** 2;
      for (let j = i * per; j < (i + 1) * per; j++) moved[j] += (radius * dir[j]) / Math.sqrt(sq);
    }
    assert.ok(attackedLoss > lossAt(moved), `attack loss ${attackedLoss} ≤ random-step loss ${lossAt(moved)}`);
  }
  assert.ok(attackedLoss > base, `attack loss ${attackedLoss} ≤ clean loss ${base}`);
  dispose();

  const plain = await tinyTrainLoss(ds);
  assert.equal(await tinyTrainLoss(ds, { adversarial: 0 }), plain, 'adversarial 0 must leave the run unchanged');
  const robust = await tinyTrainLoss(ds, { adversarial: 3 });
  assert.ok(robust > plain + 0.05, `loss under attacks of radius 3 (${robust}) should exceed the clean loss (${plain})`);
  const c = createClassifier({ image: SHAPE, classes: 2, ...TINY }, new Rng(0));
  await assert.rejects(trainClassifier(c, ds, { steps: 1, adversarial: -1 }), (e: Error) => e instanceof RangeError && /adversarial is -1/.test(e.message));
  c.dispose();
});

test('classifier PGD attack: stays in the ball, finds a higher loss than one step; 1 step is l2AttackStep; radius warm-up; bad options are refused', async () => {
  await initEngine('cpu');
  const { ds, clf, shape, xs, onehot, lossAt, moves, dispose } = await attackFixture(5);
  const radius = 1.5;
  const attack = (steps: number): Float32Array => tf.tidy(() => l2Attack(clf, tf.tensor4d(xs, shape), onehot, radius, steps).dataSync()) as Float32Array;
  const one = attack(1);
  const single = tf.tidy(() => l2AttackStep(clf, tf.tensor4d(xs, shape), onehot, radius).dataSync()) as Float32Array;
  assert.deepEqual(one, single, 'one attack step must be l2AttackStep');
  const pgd = attack(5);
  for (const [i, norm] of moves(pgd).entries()) {
    assert.ok(norm <= radius * (1 + 1e-5), `image ${i}: PGD moved ${norm}, outside the ball of ${radius}`);
  }
  assert.ok(lossAt(pgd) > lossAt(one), `PGD loss ${lossAt(pgd)} ≤ one-step loss ${lossAt(one)}`);
  dispose();
  // in training: more attack steps are a stronger attack (higher loss); 0 and fractions are refused
  const oneStep = await tinyTrainLoss(ds, { adversarial: 3 });
  assert.equal(await tinyTrainLoss(ds, { adversarial: 3, adversarialSteps: 1 }), oneStep, 'adversarialSteps 1 must be the one-step run');
  // a radius ramped up over the whole run is a weaker attack on average: lower loss than the full radius
  const ramped = await tinyTrainLoss(ds, { adversarial: 3, adversarialWarmup: 1 });
  assert.ok(ramped < oneStep - 0.01, `loss with the radius ramped up (${ramped}) should be below the full radius's (${oneStep})`);
  assert.equal(await tinyTrainLoss(ds, { adversarial: 3, adversarialWarmup: 0 }), oneStep, 'warm-up 0 must be the plain adversarial run');
  const c = createClassifier({ image: SHAPE, classes: 2, ...TINY }, new Rng(0));
  for (const [key, bad] of [['adversarialSteps', 0], ['adversarialSteps', 1.5], ['adversarialWarmup', -0.1], ['adversarialWarmup', 1.5]] as const) {
    await assert.rejects(
      trainClassifier(c, ds, { steps: 1, adversarial: 1, [key]: bad }),
      (e: Error) => e instanceof RangeError && e.message.includes(`${key} is ${bad}`),
    );
  }
  c.dispose();
});

test('classifier splits: the test split when labelled, else every 10th training image; no labels is a DataError', () => {
  const ds = patchDataset();
  const a = classifierSplits(ds);
  assert.equal(a.heldOut, 'test');
  assert.equal(a.train.indices.length, 400);
  const { test: _t, ...noTest } = ds;
  const b = classifierSplits(noTest as ImageDataset);
  assert.equal(b.heldOut, 'holdout');
  assert.equal(b.test.indices.length, 40);
  assert.equal(b.train.indices.length, 360);
  assert.ok(b.test.indices.every((i) => i % 10 === 9));
  const unlabelled = { ...ds, train: { count: 400, pixels: ds.train.pixels } };
  assert.throws(() => classifierSplits(unlabelled), (e: Error) => e instanceof DataError && /has no class labels/.test(e.message));
});

test('classifier save/load round trip gives the same outputs; wrong shape / classes are clear errors', async () => {
  await initEngine('cpu');
  const dir = tmp('clf');
  try {
    const clf = createClassifier({ image: SHAPE, classes: 3, ...TINY }, new Rng(7), ['a', 'b', 'c']);
    await saveClassifier(clf, dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'weights.bin']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);

    const back = await loadClassifier(dir, { image: SHAPE, classes: 3 });
    assert.deepEqual(back.classNames, ['a', 'b', 'c']);
    const x = tf.tensor2d(new Rng(3).uniformArray(4 * 36, -1, 1), [4, 36]);
    const [p1, p2] = [classifierLogProbs(clf, x), classifierLogProbs(back, x)];
    assert.ok(maxAbsDiff(p1.dataSync(), p2.dataSync()) < 1e-6);
    const [f1, f2] = [classifierFeatures(clf, x), classifierFeatures(back, x)];
    assert.ok(maxAbsDiff(f1.dataSync(), f2.dataSync()) < 1e-6);
    tf.dispose([x, p1, p2, f1, f2]);
    // a second model with the same layer names in the same process still saves/loads
    const again = await loadClassifier(dir);
    again.dispose();

    const modelFile = path.join(dir, 'model.json');
    await assert.rejects(loadClassifier(dir, { classes: 10 }), (e: Error) => {
      assert.ok(e instanceof ClassifierFileError && e instanceof DataError);
      assert.ok(e.message.includes(modelFile) && /3 classes, expected 10/.test(e.message), e.message);
      return true;
    });
    await assert.rejects(loadClassifier(dir, { image: { height: 28, width: 28, channels: 1 } }), (e: Error) => {
      assert.ok(e.message.includes(modelFile) && /6×6×1 images, expected 28×28×1/.test(e.message), e.message);
      return true;
    });
    await assert.rejects(loadClassifier(path.join(dir, 'nope')), /model\.json: no such file/);
    // truncated weights
    fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(10));
    await assert.rejects(loadClassifier(dir), /weights\.bin: 10 bytes, expected \d+/);
    clf.dispose();
    back.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('feature net: train into a cache, load, features, metrics, class histogram; missing net names the command', async () => {
  await initEngine('cpu');
  const cache = tmp('cache');
  try {
    const ds = patchDataset();
    const net = await trainFeatureNet(ds, { cacheDir: cache, steps: 30, batch: 16, lr: 3e-3, seed: 3, ...TINY });
    assert.equal(net.dir, featureNetDir('patches', { cacheDir: cache }));
    assert.equal(path.basename(net.dir), 'patches-' + path.basename(net.dir).split('-').pop()); // not a built-in name: hashed
    assert.deepEqual(fs.readdirSync(net.dir).sort(), ['meta.json', 'model.json', 'weights.bin']);
    const meta = JSON.parse(fs.readFileSync(path.join(net.dir, 'meta.json'), 'utf8'));
    assert.equal(meta.dataset, 'patches');
    assert.equal(meta.classes, 2);
    assert.equal(meta.seed, 3);
    assert.ok(meta.testAccuracy >= 0.9, `accuracy ${meta.testAccuracy}`);
    assert.ok(meta.featureScale > 0 && Number.isFinite(meta.featureScale));

    const loaded = await loadFeatureNet('patches', { cacheDir: cache, image: SHAPE });
    const test0 = toFloat(ds.test!);
    const f = await extractFeatures(loaded, test0, 200, 64);
    assert.equal(f.length, 200 * 8);
    assert.ok(maxAbsDiff(f, await extractFeatures(net, test0, 200)) < 1e-5);

    const hist = await classifySamples(loaded, test0);
    assert.equal(hist.n, 200);
    assert.equal(hist.counts.reduce((p, v) => p + v, 0), 200);
    assert.ok(hist.fractions.every((v) => v > 0.3 && v < 0.7), `fractions ${hist.fractions}`);
    assert.ok(hist.meanMaxProb > 0.6 && hist.meanMaxProb <= 1, `mean max-probability ${hist.meanMaxProb}`);
    assert.deepEqual(hist.classNames, ['top-left', 'bottom-right']);

    // real vs real (disjoint halves of the test split) is the floor; uniform noise is far off
    const n = 100;
    const realA = test0.subarray(0, n * 36);
    const realB = test0.subarray(n * 36, 2 * n * 36);
    const noise = new Rng(9).uniformArray(n * 36, -1, 1);
    const m = await imageMetrics(loaded, noise, realA, realB, n, { kidSubsets: 4 });
    assert.equal(m.kidSubsetSize, 50);
    assert.equal(m.featureScale, meta.featureScale);
    // the scale is one fixed linear map: FID scales by 1/s², so raw features give s² times it
    const raw = await imageMetrics(loaded, noise, realA, realB, n, { kidSubsets: 4, featureScale: 1 });
    assert.ok(Math.abs(raw.fid / m.fid - meta.featureScale ** 2) < 1e-6 * meta.featureScale ** 2);
    assert.ok(Number.isFinite(m.fid) && Number.isFinite(m.realFid) && Number.isFinite(m.kidStd), JSON.stringify(m));
    assert.ok(m.fid > 3 * m.realFid, `noise FID ${m.fid} vs real ${m.realFid}`);
    assert.ok(m.kid > m.realKid, JSON.stringify(m));

    await assert.rejects(loadFeatureNet('mnist', { cacheDir: cache }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /no feature network for 'mnist'.*run 'dggf features train --data mnist' first/);
      return true;
    });
    await assert.rejects(loadFeatureNet('patches', { cacheDir: cache, image: { height: 6, width: 6, channels: 3 } }), /takes 6×6×1 images, expected 6×6×3/);
    await assert.rejects(loadFeatureNet('patches', { cacheDir: cache, size: 8 }), /takes 6×6×1 images, expected 8×8.*--size 8/);
    net.dispose();
    loaded.dispose();
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('dggf features train: a non-image --data is a one-line usage error (exit 2)', async () => {
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((s: string) => {
    err += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    assert.equal(await main(['features', 'train', '--data', '8gaussians', '--backend', 'cpu']), 2);
    assert.equal(await main(['features', 'train', '--backend', 'cpu']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(err, /--data '8gaussians' is not an image dataset/);
  assert.match(err, /required option '--data/);
});
