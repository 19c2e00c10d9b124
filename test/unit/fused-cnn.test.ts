/**
 * Our fused CNN (src/engine/fused-cnn.ts: im2col + GEMM convolutions, col2im input gradients,
 * a FusedMlp head) against TF.js autodiff on the cpu backend: image sizes odd and even,
 * strides 1 and 2, 1 and 3 input channels, flatten and mean heads, with and without hidden dense
 * layers and spectral norm, batches below and above its 64-image chunk; rows independent bit
 * for bit; the nets it does not take fall back to TF.js; a conv flow on it follows the TF.js flow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusedCnn, initEngine, tf, type Tensor2D } from '../../src/engine/index.js';
import { createRatioNet, type RatioNet } from '../../src/nets/ratio-net.js';
import type { CnnSpec, ConvSpec } from '../../src/nets/conv.js';
import { FlowNoise, ratioTerm, runFlow } from '../../src/flow/index.js';
import { driftGradient } from '../../src/engine/tfjs/drift.js';
import { getDivergence } from '../../src/divergences/index.js';
import { Rng } from '../../src/util/rng.js';
import { assertRowsIndependent, maxRelErr, withoutFusedKernelsAsync } from '../helpers/fused.js';

const cnn = (image: CnnSpec['image'], rest: Omit<CnnSpec, 'type' | 'image'>): CnnSpec => ({ type: 'cnn', image, ...rest });

const CASES: { spec: CnnSpec; rows: number }[] = [
  { spec: cnn({ height: 12, width: 12, channels: 1 }, { channels: [4, 8], activation: 'leaky_relu', head: 'flatten', headHidden: [8], spectralNorm: true }), rows: 3 },
  { spec: cnn({ height: 9, width: 9, channels: 3 }, { channels: [8, 12, 16], activation: 'relu', head: 'mean' }), rows: 5 },
  { spec: cnn({ height: 7, width: 5, channels: 3 }, { channels: [4, 8], activation: 'leaky_relu', head: 'flatten' }), rows: 70 },
  { spec: cnn({ height: 8, width: 8, channels: 1 }, { channels: [4], activation: 'leaky_relu', head: 'mean', headHidden: [6, 5] }), rows: 1 },
];

function fusedOf(net: RatioNet): FusedCnn {
  const fused = net.fused?.();
  assert.ok(fused instanceof FusedCnn, 'the fused kernels apply to this net');
  return fused;
}

const pixels = (spec: ConvSpec): number => spec.image.height * spec.image.width * spec.image.channels;

test('fused CNN forward and drift match TF.js autodiff on cpu: sizes, strides, channels, heads, spectral norm, chunks', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(41);
  for (const { spec, rows } of CASES) {
    const net = createRatioNet(spec, rng);
    const fused = fusedOf(net);
    const x = rng.normalArray(rows * pixels(spec));
    const xt = tf.tensor2d(x, [rows, pixels(spec)]);
    const want = tf.tidy(() => net.apply(xt).dataSync());
    assert.ok(maxRelErr(fused.forward(x, rows), want) < 1e-5, `forward ${JSON.stringify(spec)}`);
    for (const [divergence, output] of [
      ['kl', 'log-ratio'],
      ['chi2', 'ratio'],
      ['logd', 'log-ratio'],
    ] as const) {
      const d = getDivergence(divergence);
      const ref = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(d.fPrimeOfOutput(net.apply(t as Tensor2D), output)))(xt).dataSync());
      const got = fused.inputGradient(x, rows, (out, into) => {
        for (let i = 0; i < out.length; i++) into[i] = d.fPrimeSlopeAt(out[i], output);
      });
      const err = maxRelErr(got, ref);
      assert.ok(err < 1e-4, `${divergence} ${JSON.stringify(spec)} rows ${rows}: relative error ${err}`);
    }
    xt.dispose();
    net.dispose();
  }
});

test('fused CNN rows are independent bit for bit, across its 64-image chunks too', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(42);
  const { spec } = CASES[2];
  const net = createRatioNet(spec, rng);
  const fused = fusedOf(net);
  const rows = 70;
  const P = pixels(spec);
  const x = rng.normalArray(rows * P);
  assertRowsIndependent(fused, x, rows, P, [
    [0, 1],
    [3, 19],
    [60, 70],
  ]);
  net.dispose();
});

test('conv nets the fused kernels do not take fall back to TF.js; wrong inputs are named', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(43);
  const image: CnnSpec['image'] = { height: 8, width: 8, channels: 1 };
  const others: ConvSpec[] = [
    cnn(image, { channels: [6], activation: 'leaky_relu' }), // 6 output channels: not a multiple of 4
    cnn(image, { channels: [4], activation: 'silu' }),
    { type: 'resnet', image, stem: 4, blocks: [{ channels: 4, down: true }], activation: 'leaky_relu' },
  ];
  for (const spec of others) {
    const net = createRatioNet(spec, rng);
    assert.equal(net.fused?.() ?? null, null, JSON.stringify(spec));
    assert.equal(driftGradient([ratioTerm(net, 'kl', 'log-ratio')]).arrays?.() ?? null, null);
    net.dispose();
  }
  const net = createRatioNet(cnn(image, { channels: [4], activation: 'relu' }), rng);
  assert.throws(() => fusedOf(net).forward(new Float32Array(10), 1), /expected 1×64 inputs, got 10/);
  net.dispose();
});

test('a conv-net flow on the fused kernels follows the TF.js flow (wasm) and leaks no tensors', async () => {
  // one thread: the switch below is this thread's (parallel-flow.test.ts covers the workers)
  await initEngine('wasm', { threads: 1, engine: 'tfjs' });
  const rng = new Rng(44);
  const spec = cnn({ height: 10, width: 10, channels: 1 }, { channels: [4, 8], activation: 'leaky_relu', head: 'flatten', headHidden: [8], spectralNorm: true });
  const net = createRatioNet(spec, rng);
  const x0 = tf.tensor2d(rng.normalArray(48 * 100), [48, 100]);
  const settings = { steps: 5, eta: 0.5, noise: 0.05 };
  const flow = async (): Promise<Float32Array> => {
    const r = await runFlow(x0, [ratioTerm(net, 'kl', 'log-ratio')], settings, new FlowNoise(9, 16));
    const x = r.x.dataSync().slice() as Float32Array;
    r.x.dispose();
    return x;
  };
  await flow(); // fills the net's spectral-norm cache (kept on purpose, freed with the net)
  const before = tf.memory().numTensors;
  const fusedRun = await flow();
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  const tfRun = await withoutFusedKernelsAsync(flow);
  assert.ok(maxRelErr(fusedRun, tfRun) < 1e-4, `final particles: ${maxRelErr(fusedRun, tfRun)}`);
  assert.ok(maxRelErr(fusedRun, x0.dataSync()) > 1e-2, 'the particles moved');
  x0.dispose();
  net.dispose();
});
