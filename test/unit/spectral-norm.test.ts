/**
 * Spectral normalisation: σ(W) against a float64 power iteration run to convergence, the
 * gradient of σ against finite differences of that reference, and a normalised net equal to
 * the plain net given W / σ(W).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf, type Tensor } from '../../src/engine/index.js';
import { spectralNorm, spectralNormalize } from '../../src/nets/spectral-norm.js';
import { createRatioNet } from '../../src/nets/ratio-net.js';
import type { ConvSpec } from '../../src/nets/conv.js';
import { Rng } from '../../src/util/rng.js';
import { sigma64 } from '../helpers/reference-nets.js';

const shapes: number[][] = [
  [3, 3, 1, 16],
  [4, 4, 16, 32],
  [4, 4, 32, 64],
  [1, 1, 8, 12],
  [196, 1],
  [64, 64],
];

for (const backend of ['cpu', 'wasm'] as const) {
  test(`spectral norm on ${backend}: σ within 1% of a float64 reference for conv and dense kernels; W/σ has σ ≈ 1`, async () => {
    await initEngine(backend);
    const rng = new Rng(11);
    for (const shape of shapes) {
      const size = shape.reduce((a, b) => a * b, 1);
      const cols = shape[shape.length - 1];
      const values = rng.uniformArray(size, -0.3, 0.3);
      const w = tf.tensor(values, shape);
      const ref = sigma64(values, size / cols, cols);
      const got = (await spectralNorm(w).data())[0];
      assert.ok(Math.abs(got - ref) <= 0.01 * ref, `${shape}: σ ${got} vs reference ${ref}`);
      const normalised = spectralNormalize(w);
      const again = sigma64((await normalised.data()) as Float32Array, size / cols, cols);
      assert.ok(Math.abs(again - 1) <= 0.01, `${shape}: σ(W/σ) = ${again}`);
      tf.dispose([w, normalised]);
    }
  });
}

test('spectral norm: ∂σ/∂W matches finite differences of the float64 σ', async () => {
  await initEngine('cpu');
  const rng = new Rng(5);
  const shape = [3, 3, 4, 6];
  const size = 3 * 3 * 4 * 6;
  const values = rng.uniformArray(size, -0.5, 0.5);
  const grad = tf.grad((w: Tensor) => spectralNorm(w))(tf.tensor(values, shape));
  const g = await grad.data();
  const h = 1e-4;
  let worst = 0;
  let scale = 0;
  for (const k of [0, 7, 50, 101, size - 1]) {
    const plus = Float64Array.from(values);
    const minus = Float64Array.from(values);
    plus[k] += h;
    minus[k] -= h;
    const fd = (sigma64(plus, size / 6, 6) - sigma64(minus, size / 6, 6)) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - g[k]));
    scale = Math.max(scale, Math.abs(fd));
  }
  assert.ok(scale > 1e-3, 'gradient is not trivially zero');
  assert.ok(worst <= 1e-2 * scale, `max |fd − grad| = ${worst} (scale ${scale})`);
  grad.dispose();
});

test('a spectrally normalised cnn computes the plain cnn with W/σ(W) kernels, and leaks no tensors', async () => {
  await initEngine('cpu');
  const image = { height: 8, width: 8, channels: 1 as const };
  const plain: ConvSpec = { type: 'cnn', image, channels: [4, 6], activation: 'leaky_relu', head: 'flatten' };
  const a = createRatioNet({ ...plain, spectralNorm: true }, new Rng(2));
  const b = createRatioNet(plain, new Rng(2));
  const before = tf.memory().numTensors;
  const x = tf.randomNormal([5, 64], 0, 1, 'float32', 3) as tf.Tensor2D;
  const weights = a.params.map((p) => (p.name.endsWith('/kernel') ? spectralNormalize(p.variable) : p.variable.clone()));
  const [ya, yb] = tf.tidy(() => [a.apply(x), b.apply(x, weights)]);
  const [va, vb] = [await ya.data(), await yb.data()];
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(va[i] - vb[i]) <= 1e-5 * (1 + Math.abs(vb[i])), `row ${i}: ${va[i]} vs ${vb[i]}`);
  // the normalisation changes the output (the kernels' σ are far from 1 at initialisation)
  const yc = tf.tidy(() => b.apply(x));
  const vc = await yc.data();
  assert.ok(Math.abs(vc[0] - va[0]) > 1e-3, 'spectral norm had no effect');
  tf.dispose([x, ya, yb, yc, ...weights]);
  assert.equal(tf.memory().numTensors, before);
  a.dispose();
  b.dispose();
});

test('flows reuse the normalised kernels of fixed weights (applyFixed): same output, refreshed when the weights change, freed on dispose', async () => {
  await initEngine('wasm');
  const image = { height: 8, width: 8, channels: 1 as const };
  const start = tf.memory().numTensors;
  const net = createRatioNet({ type: 'cnn', image, channels: [4, 6], activation: 'leaky_relu', head: 'flatten', headHidden: [3], spectralNorm: true }, new Rng(5));
  const params = tf.memory().numTensors;
  const x = tf.randomNormal([4, 64], 0, 1, 'float32', 7) as tf.Tensor2D;
  const both = (): [Float32Array, Float32Array] =>
    tf.tidy(() => [net.apply(x).dataSync() as Float32Array, net.applyFixed!(x).dataSync() as Float32Array]);
  const [plain, fixed] = both();
  assert.deepEqual(fixed, plain);
  const kept = tf.memory().numTensors; // x and the cached normalised kernels
  const kernels = net.params.filter((p) => p.name.endsWith('/kernel')).length;
  assert.equal(kept - params, 1 + kernels, 'x plus one cached normalised tensor per kernel');
  for (let i = 0; i < 3; i++) tf.tidy(() => {
    net.applyFixed!(x);
  });
  assert.equal(tf.memory().numTensors, kept, 'repeated calls add nothing');
  // an update (as Adam's and the EMA's assign) must not be served from the cache
  const kernel = net.params.find((p) => p.name.endsWith('conv1/kernel'))!.variable;
  tf.tidy(() => kernel.assign(tf.mul(kernel, 1.5)));
  tf.tidy(() => kernel.assign(tf.add(kernel, tf.randomNormal(kernel.shape, 0, 0.3, 'float32', 9))));
  const [plain2, fixed2] = both();
  assert.deepEqual(fixed2, plain2);
  assert.notDeepEqual(fixed2, fixed, 'the new weights changed the output');
  assert.equal(tf.memory().numTensors, kept, 'the old cached kernels were freed');
  // other weights passed explicitly (an EMA copy, a worker's job) are normalised for themselves
  const other = net.params.map((p) => tf.mul(p.variable, 0.5));
  const [a, b] = tf.tidy(() => [net.apply(x, other).dataSync(), net.applyFixed!(x, other).dataSync()]);
  assert.deepEqual(b, a);
  tf.dispose([x, ...other]);
  net.dispose();
  assert.equal(tf.memory().numTensors, start, `${params - start} params and the cache all freed`);
});
