/**
 * The webgpu backend against the cpu reference: the conv kernels (forward, input and filter
 * gradients over strides, paddings, kernel sizes and batches), AddN beyond the storage-buffer
 * limit (our grouped kernel), the flow's drift for MLP and CNN ratio nets, and whole training
 * iterations and sampling (same losses as cpu, no tensor leaks, deterministic samples).
 *
 * In Node this needs the optional `webgpu` package (Dawn) and a Vulkan driver; CI uses Mesa's
 * lavapipe (a CPU Vulkan driver, bookworm-backports). Without an adapter these tests are
 * skipped with the reason, unless DGGF_REQUIRE_WEBGPU=1 (set by .ci/run), where that fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../src/engine/index.js';
import { isOurs } from '../../src/engine/kernels/wasm-ops.js';
import { Rng } from '../../src/util/rng.js';
import { createMlp } from '../../src/nets/mlp.js';
import { ratioTerm } from '../../src/flow/index.js';
import { driftGradient } from '../../src/engine/tfjs/drift.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { makeImageDataset } from '../../src/data/images/dataset.js';
import { deriveSetup, Trainer } from '../../src/train/trainer.js';
import { assertClose, compareBackends, convCases, convRun, readBack } from '../helpers/parity.js';
import { onBackend } from '../helpers/engine.js';

const REQUIRED = process.env.DGGF_REQUIRE_WEBGPU === '1';
let unavailable: string | null = null;
try {
  await initEngine('webgpu', { engine: 'tfjs' });
} catch (e) {
  unavailable = (e as Error).message;
}
const skip = unavailable && !REQUIRED ? `webgpu unavailable here: ${unavailable}` : false;

test('webgpu starts (DGGF_REQUIRE_WEBGPU=1 makes a missing adapter a failure)', { skip }, () => {
  assert.equal(unavailable, null, `webgpu did not start: ${unavailable}`);
  assert.equal(tf.getBackend(), 'webgpu');
});

const compare = (name: string, run: () => tf.Tensor[], tol = 1e-4): Promise<void> => compareBackends(name, run, { backend: 'webgpu', tol });

test('webgpu: Conv2D forward, input and filter gradients match cpu (strides 1–3, same/valid, 1×1/3×3/4×4)', { skip }, async () => {
  const rng = new Rng(31);
  for (const c of convCases(rng)) await compare(JSON.stringify(c), convRun(c, rng));
});

test('webgpu: AddN of 2–20 tensors matches cpu (our grouped kernel past 7 inputs)', { skip }, async () => {
  await initEngine('webgpu', { engine: 'tfjs' });
  assert.ok(isOurs('AddN', 'webgpu'), 'AddN on webgpu is the grouped kernel');
  const rng = new Rng(32);
  for (const count of [2, 7, 8, 15, 20]) {
    const values = Array.from({ length: count }, () => rng.normalArray(3 * 5));
    await compare(`addN × ${count}`, () => tf.tidy(() => [tf.addN(values.map((v) => tf.tensor2d(v, [3, 5])))]));
  }
  // the group sums are freed in the backend (they never were tensors)
  await initEngine('webgpu', { engine: 'tfjs' });
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const list = Array.from({ length: 20 }, (_, i) => tf.fill([4], i));
  const before = backend.numDataIds();
  const sum = tf.addN(list);
  assert.deepEqual(Array.from(await sum.data()), [190, 190, 190, 190]);
  assert.equal(backend.numDataIds(), before + 1);
  tf.dispose([sum, ...list]);
});

test('webgpu: avgPool, transposed matMul and the gradients of a small conv net match cpu', { skip }, async () => {
  const rng = new Rng(33);
  const xv = rng.normalArray(3 * 9 * 9 * 4);
  const wv = rng.normalArray(3 * 3 * 4 * 6);
  const dv = rng.normalArray(6 * 2);
  const av = rng.normalArray(7 * 11);
  const bv = rng.normalArray(5 * 11);
  await compare('small conv net + matMul', () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xv, [3, 9, 9, 4]);
      const w = tf.variable(tf.tensor4d(wv, [3, 3, 4, 6]));
      const d = tf.variable(tf.tensor2d(dv, [6, 2]));
      const f = () => {
        const h = tf.leakyRelu(tf.conv2d(x, w as tf.Tensor4D, 2, 'same'), 0.2);
        const p = tf.mean(tf.avgPool(h as tf.Tensor4D, 2, 2, 'same'), [1, 2]) as tf.Tensor2D;
        return tf.sum(tf.softplus(tf.matMul(p, d as tf.Tensor2D))) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(f, [w, d]);
      const ab = tf.matMul(tf.tensor2d(av, [7, 11]), tf.tensor2d(bv, [5, 11]), false, true);
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.leakyRelu(tf.conv2d(xx as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), 0.2)))(x);
      const out = [value, grads[w.name], grads[d.name], ab, dx];
      tf.dispose([w, d]);
      return out;
    }),
  );
});

test("webgpu: the flow's drift ∇ₓ f′(r(x)) for an MLP (fused input gradient) matches cpu", { skip }, async () => {
  const rng = new Rng(34);
  const xv = rng.normalArray(300 * 2);
  const run = async (backend: 'cpu' | 'webgpu') =>
    onBackend(backend, async () => {
      const net = createMlp({ inputDim: 2, hidden: 32, depth: 3, activation: 'leaky_relu' }, new Rng(5));
      try {
        const out: tf.Tensor[] = [];
        for (const [div, output] of [
          ['kl', 'log-ratio'],
          ['chi2', 'ratio'],
        ] as const) {
          out.push(tf.tidy(() => driftGradient([ratioTerm(net, div, output)])(tf.tensor2d(xv, [300, 2]))));
        }
        return readBack(out);
      } finally {
        net.dispose();
      }
    });
  const ref = await run('cpu');
  const got = await run('webgpu');
  ref.values.forEach((r, i) => assertClose(got.values[i], r, `drift ${i}`, 1e-4));
});

test('webgpu: training iterations of a small CNN give the losses cpu gives, leak no tensors, and sampling is deterministic', { skip }, async () => {
  const image = { height: 12, width: 12, channels: 1 as const };
  const dim = 144;
  const rng = new Rng(35);
  const pixels = new Uint8Array(60 * dim).map(() => rng.int(256));
  const ds = makeImageDataset({ name: 'tiny', image, train: { count: 60, pixels }, flip: false });
  const { config } = resolveConfig({
    preset: 'mnist-cpu',
    overrides: { data: 'tiny', batch: 16, flowSteps: 3, sampleExtraSteps: 2, net: { type: 'cnn', channels: [4, 8, 8], activation: 'leaky_relu' } },
    defaults: {},
  });
  const derived = await deriveSetup(config, ds);
  const trainOn = async (backend: 'cpu' | 'webgpu') =>
    onBackend(backend, async () => {
      const tr = new Trainer(config, ds, derived);
      try {
        const stats = [];
        stats.push(await tr.step());
        const tensors = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) {
          stats.push(await tr.step());
          assert.equal(tf.memory().numTensors, tensors, `${backend}: tensors after iteration ${tr.iteration}`);
        }
        const a = await tr.model.sample(8, { seed: 3 });
        const b = await tr.model.sample(8, { seed: 3 });
        assert.deepEqual(Array.from(a.samples), Array.from(b.samples), `${backend}: same seed, same samples`);
        assert.equal(tf.memory().numTensors, tensors, `${backend}: tensors after sampling`);
        return { stats, samples: a.samples };
      } finally {
        tr.dispose();
      }
    });
  const ref = await trainOn('cpu');
  const got = await trainOn('webgpu');
  ref.stats.forEach((r, i) => {
    const g = got.stats[i];
    assert.ok(Math.abs(g.loss - r.loss) <= 1e-4 * (1 + Math.abs(r.loss)), `iteration ${i + 1}: loss ${g.loss} vs cpu ${r.loss}`);
    assert.ok(Math.abs(g.gradNorm - r.gradNorm) <= 1e-3 * (1 + r.gradNorm), `iteration ${i + 1}: gradient norm ${g.gradNorm} vs cpu ${r.gradNorm}`);
  });
  assertClose(got.samples, ref.samples, 'samples after 4 iterations', 1e-3);
});
