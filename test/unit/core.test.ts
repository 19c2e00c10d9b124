import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine, tf } from '../../src/engine/index.js';
import { Rng } from '../../src/util/rng.js';
import { Adam } from '../../src/optim/adam.js';
import { Ema } from '../../src/nets/ema.js';
import { cholesky, choleskyYielding, dataGaussianPrior, gaussianPrior, meanCovariance, priorFromState, uniformPrior } from '../../src/priors/index.js';
import {
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  latestCheckpoint,
  pruneCheckpoints,
  writeCheckpoint,
  type Checkpoint,
} from '../../src/train/checkpoint.js';

test('Rng: a saved state continues the stream exactly; normals have mean 0 and variance 1', () => {
  const a = new Rng(123);
  a.normalArray(17);
  const saved = a.state();
  const next = Array.from(a.normalArray(10));
  assert.deepEqual(Array.from(new Rng(saved).normalArray(10)), next);
  const z = new Rng(5).normalArray(200000);
  let m = 0;
  let v = 0;
  for (const t of z) m += t;
  m /= z.length;
  for (const t of z) v += (t - m) ** 2;
  v /= z.length;
  assert.ok(Math.abs(m) < 0.01 && Math.abs(v - 1) < 0.01, `mean ${m} var ${v}`);
  const u = new Rng(6).uniformArray(100000, -1, 1);
  assert.ok(Math.min(...u) >= -1 && Math.max(...u) < 1);
  assert.notDeepEqual(Array.from(new Rng(1).normalArray(4)), Array.from(new Rng(2).normalArray(4)));
});

test('Adam matches a float64 reference implementation of PyTorch Adam over 20 steps', async () => {
  await initEngine('cpu');
  const w0 = [0.5, -1.5, 2];
  const target = [1, 2, -1];
  const v = tf.variable(tf.tensor1d(w0));
  const adam = new Adam([{ name: 'w', variable: v }]);
  const ref = w0.slice();
  const m = [0, 0, 0];
  const s = [0, 0, 0];
  const lr = 0.05;
  for (let t = 1; t <= 20; t++) {
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.sub(x, tf.tensor1d(target)))))(v));
    adam.apply([g], lr);
    g.dispose();
    for (let i = 0; i < 3; i++) {
      const gi = 2 * (ref[i] - target[i]);
      m[i] = 0.9 * m[i] + 0.1 * gi;
      s[i] = 0.999 * s[i] + 0.001 * gi * gi;
      const denom = Math.sqrt(s[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      ref[i] -= (lr / (1 - 0.9 ** t)) * (m[i] / denom);
    }
  }
  const got = v.dataSync();
  ref.forEach((r, i) => assert.ok(Math.abs(got[i] - r) < 1e-5, `${got[i]} vs ${r}`));
  assert.equal(adam.step, 20);
  adam.dispose();
  v.dispose();
});

test('EMA: ema ← d·ema + (1 − d)·w', async () => {
  await initEngine('cpu');
  const w = tf.variable(tf.tensor1d([1, 2]));
  const ema = new Ema([{ name: 'mlp/w', variable: w }], 0.9);
  assert.equal(ema.params[0].name, 'ema/w');
  w.assign(tf.tensor1d([11, 12]));
  ema.update([{ name: 'mlp/w', variable: w }]);
  const got = Array.from(ema.variables[0].dataSync());
  assert.ok(Math.abs(got[0] - 2) < 1e-6 && Math.abs(got[1] - 3) < 1e-6, String(got));
  ema.dispose();
  w.dispose();
});

test('data-dependent prior: fitted mean and covariance of correlated synthetic data', async () => {
  const rng = new Rng(8);
  const n = 50000;
  const mean = [3, -1];
  const L = [2, 0, 1.2, 0.5]; // cov = L Lᵀ = [[4, 2.4], [2.4, 1.69]]
  const pts = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const z0 = rng.normal();
    const z1 = rng.normal();
    pts[2 * i] = mean[0] + L[0] * z0;
    pts[2 * i + 1] = mean[1] + L[2] * z0 + L[3] * z1;
  }
  const prior = await dataGaussianPrior(pts, 2);
  const drawn = prior.sample(n, new Rng(9));
  const fit = meanCovariance(drawn, 2);
  const want = [4, 2.4, 2.4, 1.69];
  assert.ok(Math.abs(fit.mean[0] - 3) < 0.05 && Math.abs(fit.mean[1] + 1) < 0.05, `mean ${fit.mean}`);
  want.forEach((c, i) => assert.ok(Math.abs(fit.cov[i] - c) < 0.08, `cov[${i}] ${fit.cov[i]} vs ${c}`));
  // the prior rebuilt from its saved state draws the same points
  const again = priorFromState(JSON.parse(JSON.stringify(prior.toJSON()))).sample(5, new Rng(1));
  assert.deepEqual(Array.from(again), Array.from(prior.sample(5, new Rng(1))));
  assert.equal(gaussianPrior(3).sample(4, new Rng(1)).length, 12);
  assert.ok(uniformPrior(2).sample(1000, new Rng(1)).every((v) => v >= -1 && v < 1));
});

test('cholesky: L Lᵀ reproduces the matrix; a non-PD matrix is rejected', () => {
  const a = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
  const l = cholesky(a, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += l[i * 3 + k] * l[j * 3 + k];
      assert.ok(Math.abs(s - a[i * 3 + j]) < 1e-12);
    }
  }
  assert.throws(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2), /positive definite/);
});

test('choleskyYielding: the same factor as cholesky, bit for bit, and the event loop runs meanwhile (a progress timer keeps printing)', async () => {
  const dim = 1100;
  const rng = new Rng(5);
  const g = rng.normalArray(dim * dim);
  // A = G Gᵀ / dim + I: positive definite
  const a = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += g[i * dim + k] * g[j * dim + k];
      a[i * dim + j] = a[j * dim + i] = s / dim + (i === j ? 1 : 0);
    }
  }
  const t0 = performance.now();
  const sync = cholesky(a, dim);
  const syncMs = performance.now() - t0;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const t1 = performance.now();
  const yielding = await choleskyYielding(a, dim);
  const yieldingMs = performance.now() - t1;
  clearInterval(timer);
  assert.deepEqual(yielding, sync);
  // it hands the loop back every ~100 ms: a factorisation of several hundred ms lets the timer run
  console.log(`# cholesky of ${dim}: ${syncMs.toFixed(0)} ms; yielding ${yieldingMs.toFixed(0)} ms, the timer ran ${ticks} times`);
  if (syncMs > 300) assert.ok(ticks >= 2, `timer ran ${ticks} times during ${yieldingMs.toFixed(0)} ms`);
  await assert.rejects(choleskyYielding(Float64Array.from([1, 2, 2, 1]), 2), /positive definite/);
});

function sampleCheckpoint(iteration: number): Checkpoint {
  const rng = new Rng(iteration);
  return {
    iteration,
    rng: rng.state(),
    adamStep: iteration,
    tensors: [
      { name: 'mlp/dense0/kernel', shape: [2, 3], values: rng.normalArray(6) },
      { name: 'mlp/dense0/bias', shape: [3], values: rng.normalArray(3) },
    ],
  };
}

test('checkpoints round-trip exactly and corruption is detected', () => {
  const c = sampleCheckpoint(7);
  const buf = encodeCheckpoint(c);
  const back = decodeCheckpoint(buf);
  assert.equal(back.iteration, 7);
  assert.deepEqual(back.rng, c.rng);
  back.tensors.forEach((t, i) => {
    assert.deepEqual(t.shape, c.tensors[i].shape);
    assert.deepEqual(Array.from(t.values), Array.from(c.tensors[i].values));
  });
  const flipped = Buffer.from(buf);
  flipped[flipped.length - 3] ^= 0xff;
  assert.throws(() => decodeCheckpoint(flipped, 'x.ckpt'), (e: unknown) => e instanceof CheckpointError && /checksum/.test(String(e)));
  assert.throws(() => decodeCheckpoint(buf.subarray(0, buf.length - 4), 'x.ckpt'), /truncated/);
  assert.throws(() => decodeCheckpoint(Buffer.from('hello world, not a checkpoint')), /bad magic/);
});

test('latestCheckpoint skips a corrupt newest file; writes leave no temp files; prune keeps the newest', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dggf-ckpt-'));
  for (const it of [10, 20, 30]) writeCheckpoint(dir, sampleCheckpoint(it));
  fs.writeFileSync(path.join(dir, 'iter-0000040.ckpt'), encodeCheckpoint(sampleCheckpoint(40)).subarray(0, 50));
  const latest = latestCheckpoint(dir)!;
  assert.equal(latest.checkpoint.iteration, 30);
  assert.equal(latest.skipped.length, 1);
  assert.ok(fs.readdirSync(dir).every((f) => !f.endsWith('.tmp')));
  pruneCheckpoints(dir, 2);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['iter-0000030.ckpt', 'iter-0000040.ckpt']);
  fs.rmSync(dir, { recursive: true, force: true });
});
