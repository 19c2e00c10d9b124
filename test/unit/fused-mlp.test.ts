/**
 * Our fused WebAssembly SIMD dense-layer kernels (src/engine/fused-mlp.ts): the MLP's drift
 * and forward pass against TF.js autodiff on the cpu backend (randomized widths, depths, batch
 * sizes, both activations, every divergence), row independence (bit for bit: the parallel
 * flow relies on it), and the flow on plain arrays against the TF.js flow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusedMlp, initEngine, tf, type Tensor2D } from '../../src/engine/index.js';
import { createMlp, type Activation, type MlpNet } from '../../src/nets/mlp.js';
import { FlowNoise, ratioTerm, runFlow } from '../../src/flow/index.js';
import { driftGradient, eulerMaruyama } from '../../src/engine/tfjs/drift.js';
import { DIVERGENCES, getDivergence, type NetOutput } from '../../src/divergences/index.js';
import { Rng } from '../../src/util/rng.js';
import { assertRowsIndependent, maxRelErr, withoutFusedKernels, withoutFusedKernelsAsync } from '../helpers/fused.js';
import { LOSSES, getLoss } from '../../src/losses/index.js';
import { blockGradients, disposeBlocks, type BlockGradients } from '../../src/engine/tfjs/block-gradients.js';

interface Case {
  inputDim: number;
  hidden: number;
  depth: number;
  rows: number;
  activation: Activation;
}

// widths on and off multiples of 4 (padding), row counts on and off the 4-row tiles
const CASES: Case[] = [
  { inputDim: 2, hidden: 64, depth: 3, rows: 1024, activation: 'leaky_relu' },
  { inputDim: 3, hidden: 5, depth: 1, rows: 13, activation: 'relu' },
  { inputDim: 7, hidden: 30, depth: 2, rows: 1, activation: 'leaky_relu' },
  { inputDim: 16, hidden: 12, depth: 0, rows: 6, activation: 'relu' },
  { inputDim: 1, hidden: 9, depth: 4, rows: 4, activation: 'leaky_relu' },
  { inputDim: 5, hidden: 128, depth: 2, rows: 67, activation: 'leaky_relu' },
];

const PAIRS: { divergence: (typeof DIVERGENCES)[number]; output: NetOutput }[] = DIVERGENCES.flatMap((divergence) =>
  getDivergence(divergence).outputs.map((output) => ({ divergence, output })),
);

function fusedOf(net: MlpNet): FusedMlp {
  const fused = net.fused();
  assert.ok(fused, 'the fused kernels apply to this net');
  return fused;
}

test('fused MLP drift matches TF.js autodiff on cpu: widths, depths, batch sizes, activations, every divergence', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(31);
  for (const c of CASES) {
    const net = createMlp({ inputDim: c.inputDim, hidden: c.hidden, depth: c.depth, activation: c.activation }, rng);
    const x = rng.normalArray(c.rows * c.inputDim);
    const fused = fusedOf(net);
    // the forward pass
    const want = tf.tidy(() => net.apply(tf.tensor2d(x, [c.rows, c.inputDim])).dataSync());
    assert.ok(maxRelErr(fused.forward(x, c.rows), want) < 1e-5, `forward ${JSON.stringify(c)}`);
    for (const { divergence, output } of PAIRS) {
      const d = getDivergence(divergence);
      const ref = tf.tidy(() =>
        tf.grad((t: tf.Tensor) => tf.sum(d.fPrimeOfOutput(net.apply(t as Tensor2D), output)))(tf.tensor2d(x, [c.rows, c.inputDim])).dataSync(),
      );
      const got = fused.inputGradient(x, c.rows, (out, into) => {
        for (let i = 0; i < out.length; i++) into[i] = d.fPrimeSlopeAt(out[i], output);
      });
      const err = maxRelErr(got, ref);
      assert.ok(err < 1e-4, `${divergence}/${output} ${JSON.stringify(c)}: relative error ${err}`);
    }
    net.dispose();
  }
});

test('fused MLP rows are independent bit for bit (any split of the particles gives the same drift)', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(32);
  const net = createMlp({ inputDim: 3, hidden: 20, depth: 2, activation: 'leaky_relu' }, rng);
  const fused = fusedOf(net);
  const rows = 29;
  const x = rng.normalArray(rows * 3);
  assertRowsIndependent(fused, x, rows, 3, [
    [0, 1],
    [5, 12],
    [3, 29],
    [28, 29],
  ]);
  net.dispose();
});

test('fused MLP errors name the mismatch; smooth activations and the off switch fall back to TF.js', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(33);
  assert.throws(
    () => new FusedMlp([{ fanIn: 2, fanOut: 3, kernel: new Float32Array(6), bias: new Float32Array(3) }], 0.2),
    /last layer must have one output/,
  );
  assert.throws(
    () =>
      new FusedMlp(
        [
          { fanIn: 2, fanOut: 3, kernel: new Float32Array(6), bias: new Float32Array(3) },
          { fanIn: 4, fanOut: 1, kernel: new Float32Array(4), bias: new Float32Array(1) },
        ],
        0.2,
      ),
    /layer 1 takes 4 inputs, layer 0 gives 3/,
  );
  const ok = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation: 'leaky_relu' }, rng);
  assert.throws(() => fusedOf(ok).forward(new Float32Array(5), 3), /expected 3×2 inputs, got 5/);
  assert.equal(typeof driftGradient([ratioTerm(ok, 'kl', 'log-ratio')]).arrays?.(), 'function');
  withoutFusedKernels(() => {
    assert.equal(ok.fused(), null);
    assert.equal(driftGradient([ratioTerm(ok, 'kl', 'log-ratio')]).arrays?.() ?? null, null);
  });
  for (const activation of ['silu', 'tanh'] as const) {
    const smooth = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation }, rng);
    assert.equal(smooth.fused(), null, activation);
    smooth.dispose();
  }
  ok.dispose();
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`a flow on the fused kernels follows the TF.js flow (${backend}), keeps its snapshots and leaks no tensors`, async () => {
    await initEngine(backend, { threads: 1, engine: 'tfjs' });
    const rng = new Rng(34);
    const net = createMlp({ inputDim: 2, hidden: 32, depth: 2, activation: 'leaky_relu' }, rng);
    const x0 = tf.tensor2d(rng.normalArray(300 * 2), [300, 2]);
    const settings = { steps: 12, eta: 0.05, noise: 0.1 };
    const flow = async (): Promise<{ x: Float32Array; trajectory: Float32Array[] }> => {
      const r = await runFlow(x0, [ratioTerm(net, 'js', 'log-ratio', undefined, 1.5)], settings, new FlowNoise(5), { trajectoryEvery: 4 });
      const x = r.x.dataSync().slice() as Float32Array;
      r.x.dispose();
      return { x, trajectory: r.trajectory!.map((s) => s.points) };
    };
    const before = tf.memory().numTensors;
    const fusedRun = await flow();
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    const tfRun = await withoutFusedKernelsAsync(flow);
    assert.equal(fusedRun.trajectory.length, 4); // steps 0, 4, 8, 12
    assert.ok(maxRelErr(fusedRun.x, tfRun.x) < 1e-4, `final particles: ${maxRelErr(fusedRun.x, tfRun.x)}`);
    fusedRun.trajectory.forEach((s, i) => assert.ok(maxRelErr(s, tfRun.trajectory[i]) < 1e-4, `snapshot ${i}`));
    // the particles moved: the comparison is not between two copies of x0
    assert.ok(maxRelErr(fusedRun.x, x0.dataSync()) > 1e-2);
    x0.dispose();
    net.dispose();
  });
}

test('a training block of an MLP on the fused kernels gives the TF.js loss, mean output and parameter gradients (every loss)', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(36);
  for (const c of [CASES[0], CASES[1], CASES[5]]) {
    const net = createMlp({ inputDim: c.inputDim, hidden: c.hidden, depth: c.depth, activation: c.activation }, rng);
    const weights = net.params.map((p) => p.variable);
    const rows = Math.max(2, Math.min(c.rows, 300));
    const particles = tf.tensor2d(rng.normalArray(rows * c.inputDim), [rows, c.inputDim]);
    const data = tf.tensor2d(rng.normalArray((rows + 3) * c.inputDim), [rows + 3, c.inputDim]);
    for (const name of LOSSES) {
      const read = (r: BlockGradients): { value: number; meanOut: number; grads: Float32Array[] } => {
        const out = { value: r.value.dataSync()[0], meanOut: r.meanOut.dataSync()[0], grads: r.grads.map((g: tf.Tensor) => g.dataSync().slice() as Float32Array) };
        disposeBlocks([r]);
        return out;
      };
      const before = tf.memory().numTensors;
      const fused = read(blockGradients(net, getLoss(name), particles, data, weights, 0.75));
      assert.equal(tf.memory().numTensors, before, `${name}: no tensors left behind`);
      const ref = withoutFusedKernels(() => read(blockGradients(net, getLoss(name), particles, data, weights, 0.75)));
      assert.ok(Math.abs(fused.value - ref.value) <= 1e-5 * Math.max(1, Math.abs(ref.value)), `${name} loss ${fused.value} vs ${ref.value}`);
      assert.ok(Math.abs(fused.meanOut - ref.meanOut) <= 1e-5 * Math.max(1, Math.abs(ref.meanOut)), `${name} mean output`);
      assert.equal(fused.grads.length, weights.length);
      fused.grads.forEach((g, i) => assert.ok(maxRelErr(g, ref.grads[i]) < 1e-4, `${name} ${net.params[i].name}: ${maxRelErr(g, ref.grads[i])}`));
    }
    tf.dispose([particles, data]);
    net.dispose();
  }
});

test('fused MLPs of one shape share a workspace without mixing their weights or activations', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(37);
  const spec = { inputDim: 3, hidden: 16, depth: 1, activation: 'leaky_relu' as const };
  const [netA, netB] = [createMlp(spec, rng), createMlp(spec, rng)];
  const [a, b] = [fusedOf(netA), fusedOf(netB)];
  const x = rng.normalArray(10 * 3);
  const slope = (out: Float32Array, into: Float32Array): void => {
    into.fill(1);
  };
  const first = a.inputGradient(x, 10, slope);
  const other = b.inputGradient(x, 10, slope);
  assert.notDeepEqual(Array.from(other), Array.from(first));
  assert.deepEqual(Array.from(a.inputGradient(x, 10, slope)), Array.from(first), 'a again, after b');
  // parameter gradients need this net's own forward pass still in the workspace
  a.forward(x, 10);
  b.forward(x, 10);
  assert.throws(() => a.parameterGradients(new Float32Array(10)), /last forward pass/);
  a.forward(x, 10);
  assert.throws(() => a.parameterGradients(new Float32Array(9)), /last forward pass \(10\), got 9/);
  assert.equal(a.parameterGradients(new Float32Array(10).fill(1)).length, 3);
  netA.dispose();
  netB.dispose();
});

test('a workspace that grows starts clean: a non-finite batch does not leak into later ones', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(38);
  const net = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation: 'leaky_relu' }, rng); // input padded 2 → 4
  const fused = fusedOf(net);
  const bad = new Float32Array(5 * 2).fill(Infinity);
  fused.forward(bad, 5);
  const x = rng.normalArray(300 * 2); // grows the buffers over the old ones
  const out = fused.forward(x, 300);
  assert.ok(out.every(Number.isFinite), 'finite outputs after a non-finite batch');
  const want = tf.tidy(() => net.apply(tf.tensor2d(x, [300, 2])).dataSync());
  assert.ok(maxRelErr(out, want) < 1e-5);
  net.dispose();
});

test('a drift reused across weight updates flows with the current weights (arrays read per flow)', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const rng = new Rng(39);
  const net = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation: 'relu' }, rng);
  const drift = driftGradient([ratioTerm(net, 'kl', 'log-ratio')]);
  const x0 = tf.tensor2d(rng.normalArray(40 * 2), [40, 2]);
  const settings = { steps: 3, eta: 0.5, noise: 0 };
  const flow = (g: ReturnType<typeof driftGradient>): Float32Array => {
    const x = eulerMaruyama(x0, g, settings, null);
    const v = x.dataSync().slice() as Float32Array;
    x.dispose();
    return v;
  };
  const before = flow(drift);
  net.params[0].variable.assign(tf.mul(net.params[0].variable, 3));
  const reused = flow(drift);
  const fresh = flow(driftGradient([ratioTerm(net, 'kl', 'log-ratio')]));
  assert.deepEqual(Array.from(reused), Array.from(fresh));
  assert.notDeepEqual(Array.from(reused), Array.from(before));
  x0.dispose();
  net.dispose();
});
