import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../src/engine/index.js';
import { createMlp, layerSizes, type Activation, type MlpNet } from '../../src/nets/mlp.js';
import { FlowNoise, drift, ratioTerm, runFlow, type FlowTerm } from '../../src/flow/index.js';
import { compiledDrift, compileTerm, driftGradient, type TfjsTerm } from '../../src/engine/tfjs/drift.js';
import { ENGINE_SETUPS, maxAbsDiff, useEngine } from '../helpers/engine.js';
import { getDivergence, type DivergenceName, type NetOutput } from '../../src/divergences/index.js';
import { Rng } from '../../src/util/rng.js';

/** The same MLP evaluated in float64 JavaScript from the net's weights. */
function float64Net(net: MlpNet, act: Activation): (x: number[]) => number {
  const ws = net.params.map((p) => Array.from(p.variable.dataSync()));
  const sizes = layerSizes(net.spec);
  const a = (z: number): number => {
    switch (act) {
      case 'leaky_relu':
        return z > 0 ? z : 0.2 * z;
      case 'relu':
        return Math.max(0, z);
      case 'silu':
        return z / (1 + Math.exp(-z));
      case 'tanh':
        return Math.tanh(z);
    }
  };
  return (x) => {
    let h = x;
    sizes.forEach(([fin, fout], l) => {
      const w = ws[2 * l];
      const b = ws[2 * l + 1];
      const z = new Array(fout).fill(0).map((_, j) => {
        let s = b[j];
        for (let i = 0; i < fin; i++) s += h[i] * w[i * fout + j];
        return s;
      });
      h = l < sizes.length - 1 ? z.map(a) : z;
    });
    return h[0];
  };
}

const fPrimeScalar = (d: DivergenceName, output: NetOutput, out: number): number => {
  const r = output === 'ratio' ? out : Math.exp(out);
  return getDivergence(d).fPrime(r);
};

const CASES: { act: Activation; div: DivergenceName; output: NetOutput }[] = [
  { act: 'leaky_relu', div: 'chi2', output: 'ratio' },
  { act: 'leaky_relu', div: 'kl', output: 'log-ratio' },
  { act: 'leaky_relu', div: 'js', output: 'log-ratio' },
  { act: 'relu', div: 'logd', output: 'log-ratio' },
  { act: 'silu', div: 'kl', output: 'log-ratio' },
  { act: 'tanh', div: 'chi2', output: 'log-ratio' },
];

for (const setup of ENGINE_SETUPS) {
  test(`[${setup.label}] the flow's drift equals finite differences of f′(r_θ(x)) (float64 reference)`, async () => {
    await useEngine(setup);
    const rng = new Rng(11);
    for (const c of CASES) {
      const net = createMlp({ inputDim: 3, hidden: 16, depth: 2, activation: c.act }, rng);
      const f64 = float64Net(net, c.act);
      const pts = Array.from({ length: 6 }, () => [rng.normal(), rng.normal(), rng.normal()]);
      const x = tf.tensor2d(pts.flat(), [pts.length, 3]);
      const gx = await drift(x, [ratioTerm(net, c.div, c.output)]);
      const g = gx.dataSync();
      tf.dispose([x, gx]);
      const h = 1e-6;
      pts.forEach((p, i) => {
        for (let j = 0; j < 3; j++) {
          const plus = p.slice();
          const minus = p.slice();
          plus[j] += h;
          minus[j] -= h;
          const fd = (fPrimeScalar(c.div, c.output, f64(plus)) - fPrimeScalar(c.div, c.output, f64(minus))) / (2 * h);
          const got = g[i * 3 + j];
          assert.ok(
            Math.abs(got - fd) <= 2e-3 * Math.max(0.1, Math.abs(fd)),
            `${c.act}/${c.div}: point ${i} coord ${j}: drift ${got} vs finite difference ${fd}`,
          );
        }
      });
      net.dispose();
    }
  });
}

test('[tfjs] the hand-written input gradient matches autodiff of the same potential', async () => {
  await initEngine('wasm', { engine: 'tfjs' });
  const rng = new Rng(5);
  for (const div of ['chi2', 'kl', 'js', 'logd'] as DivergenceName[]) {
    const output: NetOutput = div === 'chi2' ? 'ratio' : 'log-ratio';
    const net = createMlp({ inputDim: 2, hidden: 32, depth: 3, activation: 'leaky_relu' }, rng);
    const term = compileTerm(ratioTerm(net, div, output));
    assert.ok(term.gradient, 'leaky_relu MLPs have the fast path');
    const slow: TfjsTerm = { potential: term.potential, weight: 1 };
    const x = tf.tensor2d(rng.normalArray(64 * 2), [64, 2]);
    const a = tf.tidy(() => compiledDrift([term])(x).dataSync());
    const b = tf.tidy(() => compiledDrift([slow])(x).dataSync());
    let err = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    assert.ok(err <= 1e-5 * Math.max(1, scale), `${div}: max difference ${err}`);
    x.dispose();
    net.dispose();
  }
});

test('a flow step is x − η∇Φ + νξ, reproducible from the seed, and leaks no tensors', async () => {
  await initEngine('wasm');
  // Φ(x) = ½‖x‖² has ∇Φ = x: without noise, K steps scale x by (1 − η)^K.
  const quad: FlowTerm = { kind: 'potential', potential: (x) => tf.mul(0.5, tf.sum(tf.square(x), 1)), weight: 1, label: '½‖x‖²' };
  const x0 = tf.tensor2d([1, 2, -3, 0.5], [2, 2]);
  const before = tf.memory().numTensors;
  const r = await runFlow(x0, [quad], { steps: 5, eta: 0.1, noise: 0 }, new FlowNoise(1), { trajectoryEvery: 2 });
  const got = r.x.dataSync();
  [1, 2, -3, 0.5].forEach((v, i) => assert.ok(Math.abs(got[i] - v * 0.9 ** 5) < 1e-5));
  assert.deepEqual(r.trajectory!.map((t) => t.step), [0, 2, 4, 5]);
  r.x.dispose();
  assert.equal(tf.memory().numTensors, before);
  // With noise: same seed, same path; the noise has the requested scale.
  const run = async (seed: number) => {
    const res = await runFlow(x0, [quad], { steps: 1, eta: 1, noise: 0.5 }, new FlowNoise(seed));
    const v = res.x.dataSync().slice();
    res.x.dispose();
    return v;
  };
  assert.deepEqual(await run(9), await run(9));
  assert.notDeepEqual(await run(9), await run(10));
  // η = 1 removes x exactly, so one step leaves pure noise ν·ξ
  const big = tf.zeros([4000, 2]) as tf.Tensor2D;
  const res = await runFlow(big, [quad], { steps: 1, eta: 1, noise: 0.5 }, new FlowNoise(3));
  const v = res.x.dataSync();
  const std = Math.sqrt(Array.from(v).reduce((s: number, t: number) => s + t * t, 0) / v.length);
  assert.ok(Math.abs(std - 0.5) < 0.02, `noise std ${std}`);
  tf.dispose([big, res.x, x0]);
});

for (const setup of ENGINE_SETUPS) {
  test(`[${setup.label}] the KL curve has K + 1 entries (one per step, and the start), the last at the flowed particles`, async () => {
    await useEngine(setup);
    const net = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation: 'leaky_relu' }, new Rng(2));
    const x0 = tf.tensor2d(new Rng(4).normalArray(20), [10, 2]);
    const r = await runFlow(x0, [ratioTerm(net, 'kl', 'log-ratio')], { steps: 7, eta: 0.1, noise: 0.01 }, new FlowNoise(1), {
      meanOutput: true,
    });
    assert.equal(r.meanOutputs!.length, 8);
    const first = tf.tidy(() => tf.mean(net.apply(x0)).dataSync()[0]);
    const last = tf.tidy(() => tf.mean(net.apply(r.x)).dataSync()[0]);
    assert.ok(Math.abs(r.meanOutputs![0] - first) < 1e-6, `first ${r.meanOutputs![0]} vs ${first}`);
    assert.ok(Math.abs(r.meanOutputs![7] - last) < 1e-6, `last ${r.meanOutputs![7]} vs ${last}`);
    tf.dispose([x0, r.x]);
    net.dispose();
  });
}

for (const setup of ENGINE_SETUPS) {
  test(`[${setup.label}] quiet last steps: K noisy steps then κ at ν = 0 equal one flow of K + κ with quietSteps κ`, async () => {
    await useEngine(setup);
    const net = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation: 'leaky_relu' }, new Rng(2));
    // 300 rows: several noise chunks, so split flows draw their noise by chunk as well
    const x0 = tf.tensor2d(new Rng(4).normalArray(600), [300, 2]);
    const term = [ratioTerm(net, 'kl', 'log-ratio')];
    const flow = async (x: tf.Tensor2D, steps: number, noise: number, quietSteps?: number) =>
      (await runFlow(x, term, { steps, eta: 0.1, noise, quietSteps }, new FlowNoise(5))).x;
    const noisy = await flow(x0, 4, 0.3);
    const twoPart = await flow(noisy, 2, 0);
    const quiet = await flow(x0, 6, 0.3, 2);
    const loud = await flow(x0, 6, 0.3);
    assert.ok(maxAbsDiff(quiet.dataSync(), twoPart.dataSync()) < 1e-6, `quiet vs two-part ${maxAbsDiff(quiet.dataSync(), twoPart.dataSync())}`);
    assert.ok(maxAbsDiff(loud.dataSync(), twoPart.dataSync()) > 0.1, 'the last two steps of the loud flow add noise');
    const allQuiet = await flow(x0, 3, 0.3, 3);
    const silent = await flow(x0, 3, 0);
    assert.ok(maxAbsDiff(allQuiet.dataSync(), silent.dataSync()) < 1e-6, 'quietSteps = steps is the flow without noise');
    tf.dispose([x0, noisy, twoPart, quiet, loud, allQuiet, silent]);
    net.dispose();
  });
}
