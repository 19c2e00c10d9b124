/**
 * The ONNX Runtime engine against the TF.js engine (on the `cpu` backend, the float32
 * reference) and against finite differences: drifts for every net family (MLP with each
 * activation, CNNs with both heads, dense hidden layers, spectral norm, 1 and 3 channels, odd
 * sizes; ResNets with down-sampling; the authors' BasicBlock ResNets with self-attention) and divergence; flows (the Loop of MLPs, the per-step
 * baked graphs of conv nets, snapshots, the KL curve, row blocks); training losses and
 * parameter gradients for every loss; sessions and tensors that do not grow; the fallback to
 * TF.js for terms without a graph form; engine selection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeEngine, EngineError, initEngine, tf, type Tensor2D } from '../../src/engine/index.js';
import { tfjsEngine } from '../../src/engine/tfjs/engine.js';
import { ortEngine } from '../../src/engine/ort/engine.js';
import { releaseSessions, sessionCount } from '../../src/engine/ort/sessions.js';
import { ortWorkerJobs } from '../../src/engine/ort/pool.js';
import { createRatioNet, type NetSpec, type RatioNet } from '../../src/nets/ratio-net.js';
import { FlowNoise, ratioTerm, runFlow } from '../../src/flow/index.js';
import { classifierGuidanceTerm } from '../../src/flow/guidance.js';
import { createClassifier } from '../../src/nets/classifier.js';
import { getLoss, LOSSES } from '../../src/losses/index.js';
import type { DivergenceName, NetOutput } from '../../src/divergences/index.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbs, maxAbsDiff } from '../helpers/engine.js';

const rgb = { height: 9, width: 7, channels: 3 as const };
const grey = { height: 8, width: 8, channels: 1 as const };

const NETS: { label: string; spec: NetSpec }[] = [
  { label: 'mlp leaky_relu', spec: { inputDim: 3, hidden: 16, depth: 2, activation: 'leaky_relu' } },
  { label: 'mlp relu', spec: { inputDim: 2, hidden: 12, depth: 1, activation: 'relu' } },
  { label: 'mlp silu', spec: { inputDim: 2, hidden: 12, depth: 3, activation: 'silu' } },
  { label: 'mlp tanh', spec: { inputDim: 4, hidden: 8, depth: 1, activation: 'tanh' } },
  { label: 'cnn mean head, rgb 9×7', spec: { type: 'cnn', image: rgb, channels: [8, 8, 12], activation: 'leaky_relu' } },
  { label: 'cnn flatten + hidden + spectral norm, grey', spec: { type: 'cnn', image: grey, channels: [8, 16], activation: 'leaky_relu', head: 'flatten', headHidden: [10], spectralNorm: true } },
  { label: 'cnn silu flatten, rgb 9×7', spec: { type: 'cnn', image: rgb, channels: [4, 6], activation: 'silu', head: 'flatten' } },
  { label: 'resnet down + spectral norm, rgb 9×7', spec: { type: 'resnet', image: rgb, stem: 8, blocks: [{ channels: 8, down: false }, { channels: 12, down: true }], activation: 'leaky_relu', spectralNorm: true } },
  { label: 'cnn silu mean head + spectral norm, grey', spec: { type: 'cnn', image: grey, channels: [8, 8], activation: 'silu', spectralNorm: true } },
  {
    label: 'basic-resnet + self-attention + spectral norm, rgb 9×7',
    spec: { type: 'basic-resnet', image: rgb, stem: 8, stages: [{ channels: 8, blocks: 1, stride: 1 }, { channels: 8, blocks: 1, stride: 2 }], attentionAfter: 2, activation: 'leaky_relu', spectralNorm: true },
  },
  {
    label: 'basic-resnet silu + self-attention, grey',
    spec: { type: 'basic-resnet', image: grey, stem: 4, stages: [{ channels: 8, blocks: 1, stride: 2 }, { channels: 12, blocks: 2, stride: 2 }], attentionAfter: 1, activation: 'silu' },
  },
];

/** A net of `spec` with any self-attention gate opened (γ starts at 0, which would hide the block). */
function createNet(spec: NetSpec, rng: Rng): RatioNet {
  const net = createRatioNet(spec, rng);
  for (const p of net.params) if (p.name.endsWith('/gamma')) p.variable.assign(tf.tensor([0.9], [1]));
  return net;
}

/** Smooth nets, whose loss finite differences can check (ReLU kinks break them). */
const SMOOTH = new Set(['mlp silu', 'cnn silu flatten, rgb 9×7', 'cnn silu mean head + spectral norm, grey', 'basic-resnet silu + self-attention, grey']);

const PAIRS: { div: DivergenceName; output: NetOutput }[] = [
  { div: 'kl', output: 'log-ratio' },
  { div: 'js', output: 'log-ratio' },
  { div: 'logd', output: 'log-ratio' },
  { div: 'chi2', output: 'ratio' },
];

const dimOf = (spec: NetSpec): number => ('image' in spec ? spec.image.height * spec.image.width * spec.image.channels : spec.inputDim);

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(1e-6, maxAbs(b));
}

async function read(t: Promise<Tensor2D> | Tensor2D): Promise<Float32Array> {
  const x = await t;
  const v = (await x.data()) as Float32Array;
  x.dispose();
  return v;
}

test('ort engine: the drift of every net family and divergence equals the TF.js drift', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const rng = new Rng(41);
  for (const { label, spec } of NETS) {
    const net = createNet(spec, rng);
    const dim = dimOf(spec);
    const x = tf.tensor2d(rng.normalArray(5 * dim), [5, dim]);
    for (const { div, output } of PAIRS) {
      const terms = [ratioTerm(net, div, output, undefined, 0.7)];
      const ours = await read(ortEngine.drift(x, terms)!);
      const ref = await read(tfjsEngine.drift(x, terms)!);
      assert.ok(maxAbs(ref) > 1e-6, `${label} ${div}: the drift is not trivially zero`);
      assert.ok(relErr(ours, ref) < 1e-4, `${label} ${div}: relative difference ${relErr(ours, ref)}`);
    }
    x.dispose();
    net.dispose();
  }
});

test('ort engine: flows (Loop for MLPs, baked steps for conv nets) follow the TF.js flow, with snapshots and the KL curve', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const rng = new Rng(42);
  for (const { label, spec } of NETS) {
    const net = createNet(spec, rng);
    const dim = dimOf(spec);
    const n = 'image' in spec ? 6 : 40;
    const x0 = tf.tensor2d(rng.normalArray(n * dim), [n, dim]);
    const settings = { steps: 7, eta: 'image' in spec ? 0.5 : 0.1, noise: 0.05 };
    const flow = async (engine: typeof ortEngine) => {
      const r = await engine.flow(x0, [ratioTerm(net, 'kl', 'log-ratio')], settings, new FlowNoise(7, 4), { trajectoryEvery: 3, meanOutput: true })!;
      return { x: await read(r.x), trajectory: r.trajectory!, means: r.meanOutputs! };
    };
    const before = tf.memory().numTensors;
    const ours = await flow(ortEngine);
    assert.equal(tf.memory().numTensors, before, `${label}: no tensors left behind`);
    const ref = await flow(tfjsEngine);
    assert.ok(relErr(ours.x, ref.x) < 1e-4, `${label}: final particles differ by ${relErr(ours.x, ref.x)}`);
    assert.ok(relErr(ours.x, x0.dataSync()) > 1e-3, `${label}: the particles moved`);
    assert.deepEqual(ours.trajectory.map((s) => s.step), [0, 3, 6, 7]);
    ours.trajectory.forEach((s, i) => assert.ok(relErr(s.points, ref.trajectory[i].points) < 1e-4, `${label}: snapshot ${s.step}`));
    assert.equal(ours.means.length, 8);
    ours.means.forEach((m, i) => assert.ok(Math.abs(m - ref.means[i]) < 1e-4 * (1 + Math.abs(ref.means[i])), `${label}: mean output at step ${i}: ${m} vs ${ref.means[i]}`));
    x0.dispose();
    net.dispose();
  }
});

test('ort engine: guided conv flows in one process keep their guidance weights apart (the same classifier at φ 0.5 and 4)', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const rng = new Rng(49);
  const net = createRatioNet({ type: 'cnn', image: grey, channels: [8, 8], activation: 'leaky_relu' }, rng);
  const clf = createClassifier({ image: grey, classes: 3, filters: [4], featureDim: 6 }, rng);
  const x0 = tf.tensor2d(rng.normalArray(4 * 64), [4, 64]);
  const flow = async (engine: typeof ortEngine, phi: number) =>
    read((await engine.flow(x0, [ratioTerm(net, 'kl', 'log-ratio'), classifierGuidanceTerm(clf, 1, phi)], { steps: 3, eta: 0.5, noise: 0 }, new FlowNoise(1, 2), {}))!.x);
  const weak = await flow(ortEngine, 0.5);
  const strong = await flow(ortEngine, 4);
  assert.ok(relErr(weak, await flow(tfjsEngine, 0.5)) < 1e-4, 'φ 0.5 as on TF.js');
  assert.ok(relErr(strong, await flow(tfjsEngine, 4)) < 1e-4, 'φ 4 as on TF.js (not the graph built for φ 0.5)');
  assert.ok(relErr(weak, strong) > 1e-3, 'the guidance weight matters');
  x0.dispose();
  net.dispose();
  clf.dispose();
});

test('ort engine: a conv flow in row blocks equals the one-piece flow', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const rng = new Rng(43);
  const net = createRatioNet({ type: 'cnn', image: grey, channels: [8, 8], activation: 'leaky_relu', head: 'flatten' }, rng);
  const x0 = tf.tensor2d(rng.normalArray(10 * 64), [10, 64]);
  const settings = { steps: 5, eta: 0.3, noise: 0.1 };
  const run = async () => read((await runFlow(x0, [ratioTerm(net, 'kl', 'log-ratio')], settings, new FlowNoise(3, 2))).x);
  net.maxRows = undefined;
  const whole = await run();
  net.maxRows = 4; // blocks of 4, 4, 2 rows (whole noise chunks of 2)
  const blocks = await run();
  assert.deepEqual(blocks, whole);
  x0.dispose();
  net.dispose();
});

test('ort engine: training loss, mean output, gradient norm and parameter gradients equal TF.js autodiff (every loss) and finite differences', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const rng = new Rng(44);
  for (const { label, spec } of [NETS[0], NETS[2], NETS[5], NETS[6], NETS[7], NETS[8], NETS[9], NETS[10]]) {
    const net = createNet(spec, rng);
    const dim = dimOf(spec);
    const rows = 6;
    const particles = tf.tensor2d(rng.normalArray(rows * dim), [rows, dim]);
    const data = tf.tensor2d(rng.normalArray(rows * dim), [rows, dim]);
    for (const name of LOSSES) {
      const loss = getLoss(name);
      const ours = await ortEngine.trainingGradients(net, loss, particles, data);
      const ref = await tfjsEngine.trainingGradients(net, loss, particles, data);
      assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5 * (1 + Math.abs(ref.loss)), `${label} ${name}: loss ${ours.loss} vs ${ref.loss}`);
      assert.ok(Math.abs(ours.meanOut - ref.meanOut) < 1e-5 * (1 + Math.abs(ref.meanOut)), `${label} ${name}: mean output`);
      assert.ok(Math.abs(ours.gradNorm - ref.gradNorm) < 1e-4 * (1 + ref.gradNorm), `${label} ${name}: gradient norm ${ours.gradNorm} vs ${ref.gradNorm}`);
      assert.equal(ours.grads.length, net.params.length);
      ours.grads.forEach((g, i) => {
        assert.deepEqual(g.shape, net.params[i].variable.shape);
        // relative to the whole gradient's scale too: an attention key bias has a zero gradient
        // (the softmax ignores it), of which both engines give float32 rounding noise
        const refGrad = ref.grads[i].dataSync();
        const e = maxAbsDiff(g.dataSync(), refGrad) / Math.max(maxAbs(refGrad), 1e-4 * ref.gradNorm, 1e-6);
        assert.ok(e < 1e-4, `${label} ${name} ${net.params[i].name}: ${e}`);
      });
      // finite differences of the engine's own loss in a few weights of the first kernel (with
      // spectral norm: σ's singular vector carries no gradient, exact at the power iteration's
      // fixed point, which 256 rounds reach)
      if (name === 'lr' && SMOOTH.has(label)) {
        const v = net.params[0].variable;
        const values = v.dataSync().slice() as Float32Array;
        const g = ours.grads[0].dataSync();
        const h = 1e-2;
        for (const k of [0, Math.floor(values.length / 2), values.length - 1]) {
          const at = async (delta: number): Promise<number> => {
            const moved = values.slice();
            moved[k] += delta;
            v.assign(tf.tensor(moved, v.shape));
            const r = await ortEngine.trainingGradients(net, loss, particles, data);
            tf.dispose(r.grads);
            return r.loss;
          };
          const fd = ((await at(h)) - (await at(-h))) / (2 * h);
          v.assign(tf.tensor(values, v.shape));
          assert.ok(Math.abs(fd - g[k]) < 2e-3 * (1 + Math.abs(g[k])), `${label}: ∂loss/∂w[${k}] ${g[k]} vs finite difference ${fd}`);
        }
      }
      tf.dispose([...ours.grads, ...ref.grads]);
    }
    tf.dispose([particles, data]);
    net.dispose();
  }
});

test('ort engine: sessions and tensors do not grow over many training-like iterations', async () => {
  await initEngine('cpu', { engine: 'ort' });
  await releaseSessions();
  const rng = new Rng(45);
  const net = createRatioNet({ type: 'cnn', image: grey, channels: [8, 8], activation: 'leaky_relu', spectralNorm: true }, rng);
  const loss = getLoss('lr');
  const x0 = tf.tensor2d(rng.normalArray(4 * 64), [4, 64]);
  const data = tf.tensor2d(rng.normalArray(4 * 64), [4, 64]);
  let tensors = 0;
  let sessions = 0;
  for (let it = 0; it < 12; it++) {
    const flowed = (await runFlow(x0, [ratioTerm(net, 'kl', 'log-ratio')], { steps: 2, eta: 0.1, noise: 0.01 }, new FlowNoise(it, 2))).x;
    const r = await activeEngine().trainingGradients(net, loss, flowed, data);
    // an Adam-like update: new weight values every iteration (a baked flow each time)
    tf.tidy(() => net.params.forEach((p, i) => p.variable.assign(tf.sub(p.variable, tf.mul(r.grads[i], 1e-3)))));
    tf.dispose([flowed, ...r.grads]);
    if (it === 3) {
      tensors = tf.memory().numTensors;
      sessions = sessionCount();
    }
  }
  assert.equal(tf.memory().numTensors, tensors, 'tensors');
  assert.equal(sessionCount(), sessions, 'sessions held');
  assert.ok(sessionCount() <= 6, `sessions held: ${sessionCount()}`);
  tf.dispose([x0, data]);
  net.dispose();
});

test('ort engine: a term without a graph form (a layer it does not translate, a TF.js potential) runs on TF.js', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const rng = new Rng(46);
  const clf = createClassifier({ image: grey, classes: 3, filters: [4], featureDim: 6 }, rng);
  const x = tf.tensor2d(rng.uniformArray(3 * 64, -1, 1), [3, 64]);
  const supported = classifierGuidanceTerm(clf, 1, 1);
  const translated = ortEngine.drift(x, [supported]);
  assert.notEqual(translated, null, 'our classifier translates');
  // awaited before x is disposed: the graph reads x after this call returns
  (await translated!).dispose();
  // a layer kind the engine does not translate
  const { layers, sequential } = await import('@tensorflow/tfjs-layers');
  const odd = sequential({ layers: [layers.flatten({ inputShape: [8, 8, 1] }), layers.dense({ units: 3, activation: 'elu' })] });
  const term = { ...supported, model: odd };
  assert.equal(ortEngine.drift(x, [term]), null);
  assert.equal(ortEngine.flow(x, [term], { steps: 1, eta: 0.1, noise: 0 }, new FlowNoise(1), {}), null);
  const viaRunFlow = await read((await runFlow(x, [term], { steps: 2, eta: 0.1, noise: 0 }, new FlowNoise(1))).x);
  const viaTfjs = await read((await tfjsEngine.flow(x, [term], { steps: 2, eta: 0.1, noise: 0 }, new FlowNoise(1), {}))!.x);
  assert.deepEqual(viaRunFlow, viaTfjs);
  tf.dispose(x);
  odd.dispose();
  clf.dispose();
});

test('ort engine: flows and training steps split between threads give the one-thread results bit for bit', async () => {
  const rng = new Rng(47);
  const mlp = createRatioNet(NETS[0].spec, rng);
  const cnn = createRatioNet(NETS[5].spec, rng);
  const cases = [
    { net: mlp, n: 300, chunk: 128, eta: 0.1 },
    { net: cnn, n: 20, chunk: 4, eta: 0.5 },
  ];
  const run = async (threads: number) => {
    await initEngine('cpu', { engine: 'ort', threads });
    const out: Float32Array[] = [];
    for (const c of cases) {
      const dim = dimOf(c.net.spec);
      const x0 = tf.tensor2d(new Rng(5).normalArray(c.n * dim), [c.n, dim]);
      const r = await runFlow(x0, [ratioTerm(c.net, 'kl', 'log-ratio', undefined, 0.8)], { steps: 4, eta: c.eta, noise: 0.1 }, new FlowNoise(9, c.chunk), { trajectoryEvery: 2 });
      out.push(await read(r.x), ...r.trajectory!.map((s) => s.points));
      const g = await activeEngine().trainingGradients(c.net, getLoss('lr'), x0, x0);
      out.push(Float32Array.of(g.loss, g.meanOut, g.gradNorm), ...g.grads.map((t) => t.dataSync() as Float32Array));
      tf.dispose([x0, ...g.grads]);
    }
    return out;
  };
  const one = await run(1);
  const before = ortWorkerJobs();
  const two = await run(2);
  // two flows and two training steps, each with one share in a worker
  assert.equal(ortWorkerJobs() - before, 4, 'jobs done by a worker thread');
  assert.equal(two.length, one.length);
  two.forEach((a, i) => assert.deepEqual(a, one[i], `result ${i}`));
  await initEngine('cpu', { engine: 'ort' });
  mlp.dispose();
  cnn.dispose();
});

test('engine selection: --engine/DGGF_ENGINE pick it, a wrong name is refused', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  assert.equal(activeEngine().name, 'tfjs');
  await initEngine('cpu', { engine: 'ort' });
  assert.equal(activeEngine().name, 'ort');
  await assert.rejects(initEngine('cpu', { engine: 'onnx' }), (e: Error) => e instanceof EngineError && /unknown engine 'onnx' \(expected one of auto, ort, tfjs\)/.test(e.message));
  const saved = process.env.DGGF_ENGINE;
  process.env.DGGF_ENGINE = 'tfjs';
  try {
    await initEngine('cpu');
    assert.equal(activeEngine().name, 'tfjs');
  } finally {
    if (saved === undefined) delete process.env.DGGF_ENGINE;
    else process.env.DGGF_ENGINE = saved;
  }
  await initEngine('cpu');
  assert.equal(activeEngine().name, 'ort', 'auto picks ONNX Runtime where it loads');
});
