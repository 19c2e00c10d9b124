/**
 * [slow] q = N(0, I), p = N(μ, I) in 2-D: the log-ratio is linear, log q/p (x) = −μᵀx + ‖μ‖²/2,
 * so KL(q‖p) = ‖μ‖²/2. An LR-trained log-ratio net's mean over q-samples must land within 15%.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../src/engine/index.js';
import { createMlp } from '../../src/nets/mlp.js';
import { getLoss } from '../../src/losses/index.js';
import { Adam } from '../../src/optim/adam.js';
import { Ema } from '../../src/nets/ema.js';
import { Rng } from '../../src/util/rng.js';

test('[slow] an LR-KL ratio net estimates KL(N(0,I) ‖ N(μ,I)) = ‖μ‖²/2 within 15%', async () => {
  await initEngine('wasm');
  const mu = [1.5, -1];
  const trueKl = (mu[0] ** 2 + mu[1] ** 2) / 2; // 1.625
  const rng = new Rng(2024);
  const net = createMlp({ inputDim: 2, hidden: 64, depth: 2, activation: 'leaky_relu' }, rng);
  const vars = net.params.map((p) => p.variable);
  const adam = new Adam(net.params);
  const ema = new Ema(net.params, 0.995);
  const loss = getLoss('lr');
  const n = 512;
  const draw = (shift: number[]) => {
    const z = rng.normalArray(n * 2);
    for (let i = 0; i < n; i++) {
      z[2 * i] += shift[0];
      z[2 * i + 1] += shift[1];
    }
    return tf.tensor2d(z, [n, 2]);
  };
  for (let it = 0; it < 2500; it++) {
    const xq = draw([0, 0]);
    const xp = draw(mu);
    const { value, grads } = tf.variableGrads(() => loss.compute(net.apply(xq), net.apply(xp)) as tf.Scalar, vars);
    adam.apply(vars.map((v) => grads[v.name]), it < 2000 ? 2e-3 : 5e-4);
    ema.update(net.params);
    tf.dispose([xq, xp, value, ...Object.values(grads)]);
  }
  const test = draw([0, 0]);
  const big = tf.concat([test, draw([0, 0]), draw([0, 0]), draw([0, 0])]) as tf.Tensor2D;
  const estimate = tf.tidy(() => tf.mean(net.apply(big, ema.variables)).dataSync()[0]);
  const rel = Math.abs(estimate - trueKl) / trueKl;
  assert.ok(rel <= 0.15, `KL estimate ${estimate.toFixed(4)} vs true ${trueKl} (relative error ${(100 * rel).toFixed(1)}%)`);
  console.log(`# KL estimate ${estimate.toFixed(4)}, true ${trueKl}, relative error ${(100 * rel).toFixed(1)}%`);
  tf.dispose([test, big]);
});
