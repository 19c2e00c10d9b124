/**
 * The authors' nets (`basic-resnet`, clear-nus/fdrl src/models.py) and their self-attention:
 * forward passes on both engines against a float64 reference written from the authors' code
 * (test/helpers/reference-nets.ts: PyTorch padding, post-activation BasicBlocks, Self_Attn in
 * their index order), with and without spectral norm; input and weight gradients against
 * central differences of that reference; the presets' nets have the authors' parameter counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf, type Tensor, type Tensor2D } from '../../src/engine/index.js';
import { tfjsEngine } from '../../src/engine/tfjs/engine.js';
import { ortEngine } from '../../src/engine/ort/engine.js';
import { createRatioNet, netSpec, type RatioNet } from '../../src/nets/ratio-net.js';
import { convLayout } from '../../src/nets/conv.js';
import type { BasicResNetSpec } from '../../src/nets/basic-resnet.js';
import { ratioTerm } from '../../src/flow/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { Rng } from '../../src/util/rng.js';
import { attention64, basicResNet64, sigma64, type Image64, type Weights64 } from '../helpers/reference-nets.js';
import { SlotList } from '../../src/nets/layout.js';
import { attentionSlots, selfAttention } from '../../src/nets/self-attention.js';
import { tfjsOps } from '../../src/engine/tfjs-ops.js';
import { maxAbs, maxAbsDiff } from '../helpers/engine.js';

// odd sizes: 9×7 → 5×4 → 3×2 after the two stride-2 stages (PyTorch's padding and 'same' differ here)
const image = { height: 9, width: 7, channels: 3 as const };
const dim = 9 * 7 * 3;
const SPEC: BasicResNetSpec = {
  type: 'basic-resnet',
  image,
  stem: 8,
  stages: [
    { channels: 8, blocks: 2, stride: 1 },
    { channels: 16, blocks: 1, stride: 2 },
    { channels: 16, blocks: 2, stride: 2 },
  ],
  attentionAfter: 2,
  activation: 'leaky_relu',
};

/** A net whose attention gate γ is open (it starts at 0, which would hide the attention block). */
function netWithGate(spec: BasicResNetSpec, seed: number): RatioNet {
  const net = createRatioNet(spec, new Rng(seed));
  const gamma = net.params.find((p) => p.name.endsWith('/gamma'));
  assert.ok(gamma, 'the attention block has a gate');
  assert.deepEqual(gamma.variable.dataSync(), Float32Array.of(0), 'γ starts at 0, as the authors’');
  gamma.variable.assign(tf.tensor([1.5], [1]));
  return net;
}

/** The net's weights as float64 by name (kernels divided by their float64 σ where `normalise`). */
function weights64(net: RatioNet, normalise = false): Weights64 {
  const w: Weights64 = new Map();
  for (const p of net.params) {
    const name = p.name.slice(p.name.indexOf('/') + 1);
    let values = Float64Array.from(p.variable.dataSync());
    if (normalise && name.endsWith('/kernel')) {
      const cols = p.variable.shape[p.variable.shape.length - 1];
      const sigma = sigma64(values, values.length / cols, cols);
      values = values.map((v) => v / sigma);
    }
    w.set(name, values);
  }
  return w;
}

const asImage = (x: Float64Array, n: number): Image64 => ({ data: x, n, h: image.height, w: image.width, c: image.channels });
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => maxAbsDiff(a, b) / Math.max(1e-9, maxAbs(b));

for (const setup of [
  { label: 'tfjs/cpu', backend: 'cpu', engine: tfjsEngine },
  { label: 'tfjs/wasm', backend: 'wasm', engine: tfjsEngine },
  { label: 'ort', backend: 'cpu', engine: ortEngine },
] as const) {
  test(`basic-resnet with self-attention (${setup.label}): outputs equal the float64 reference of the authors' net, with and without spectral norm`, async () => {
    await initEngine(setup.backend, { engine: setup.engine.name });
    const n = 3;
    const xs = new Rng(3).uniformArray(n * dim, -1, 1);
    const x = tf.tensor2d(xs, [n, dim]);
    for (const spectralNorm of [false, true]) {
      const spec = { ...SPEC, spectralNorm };
      const net = netWithGate(spec, 5);
      const ours = await setup.engine.outputs(net, undefined, x);
      const ref = basicResNet64(spec, weights64(net, spectralNorm), asImage(Float64Array.from(xs), n));
      assert.ok(maxAbs(ref) > 1e-3, 'the reference output is not trivially zero');
      assert.ok(relErr(ours, ref) < 2e-4, `spectral norm ${spectralNorm}: relative error ${relErr(ours, ref)} (ours ${Array.from(ours)}, reference ${Array.from(ref)})`);
      net.dispose();
    }
    x.dispose();
  });
}

/** Central differences of Σ c ⊙ reference(x) in one value of x or of one weight tensor. */
function referenceDerivative(spec: BasicResNetSpec, w: Weights64, xs: Float64Array, n: number, c: Float64Array, what: { x: number } | { weight: string; at: number }): number {
  const h = 1e-6;
  const loss = (delta: number): number => {
    let x = xs;
    let weights = w;
    if ('x' in what) {
      x = xs.slice();
      x[what.x] += delta;
    } else {
      weights = new Map(w);
      const moved = w.get(what.weight)!.slice();
      moved[what.at] += delta;
      weights.set(what.weight, moved);
    }
    return basicResNet64(spec, weights, asImage(x, n)).reduce((s, v, i) => s + c[i] * v, 0);
  };
  return (loss(h) - loss(-h)) / (2 * h);
}

test('basic-resnet with self-attention: input and weight gradients (TF.js autodiff) and the ORT drift match central differences of the float64 reference', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const n = 2;
  const rng = new Rng(8);
  const xs = rng.uniformArray(n * dim, -1, 1);
  const c = Float64Array.of(0.8, -1.3);
  const net = netWithGate(SPEC, 6);
  const w = weights64(net);
  const x = tf.tensor2d(xs, [n, dim]);
  const cT = tf.tensor2d(Float32Array.from(c), [n, 1]);
  const vars = net.params.map((p) => p.variable);
  const objective = (input: Tensor2D, ws: Tensor[]) => tf.sum(tf.mul(net.apply(input, ws), cT));
  const dx = tf.grad((input: Tensor) => objective(input as Tensor2D, vars))(x).dataSync();
  const { grads } = tf.variableGrads(() => objective(x, vars) as tf.Scalar, vars);
  const x64 = Float64Array.from(xs);
  const check = (label: string, got: number, what: Parameters<typeof referenceDerivative>[5]) => {
    const fd = referenceDerivative(SPEC, w, x64, n, c, what);
    assert.ok(Math.abs(got - fd) <= 1e-3 * (1 + Math.abs(fd)), `${label}: ${got} vs central difference ${fd}`);
    return Math.abs(fd);
  };
  let scale = 0;
  for (let k = 0; k < n * dim; k += 9) scale = Math.max(scale, check(`∂/∂x[${k}]`, dx[k], { x: k }));
  assert.ok(scale > 1e-3, 'the input gradient is not trivially zero');
  // every weight tensor (convs, shortcut, attention projections and gate, dense), a few entries each
  for (const p of net.params) {
    const name = p.name.slice(p.name.indexOf('/') + 1);
    const g = grads[p.variable.name].dataSync();
    let largest = 0;
    for (const at of [0, Math.floor(g.length / 2), g.length - 1]) largest = Math.max(largest, check(`∂/∂${name}[${at}]`, g[at], { weight: name, at }));
    // a key bias adds q_j·b to every score of query j: the softmax over the keys ignores it
    if (name !== 'attention/key/bias') assert.ok(largest > 1e-6, `${name}: its gradient is not trivially zero`);
  }
  // the ORT engine's drift (KL with a log-ratio net: ∇ₓ output, per row) against the same differences
  await initEngine('cpu', { engine: 'ort' });
  const drift = (await ortEngine.drift(x, [ratioTerm(net, 'kl', 'log-ratio')])!).dataSync();
  const ones = new Float64Array(n).fill(1);
  for (let k = 0; k < n * dim; k += 13) {
    const fd = referenceDerivative(SPEC, w, x64, n, ones, { x: k });
    assert.ok(Math.abs(drift[k] - fd) <= 1e-3 * (1 + Math.abs(fd)), `ORT drift[${k}]: ${drift[k]} vs central difference ${fd}`);
  }
  tf.dispose([x, cT, ...Object.values(grads)]);
  net.dispose();
});

test('self-attention layer (TF.js): output, input and weight gradients equal the float64 reference of Self_Attn and its central differences', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const [n, h, w, c] = [2, 3, 4, 16];
  const list = new SlotList();
  const block = attentionSlots(list, 'attention', c, h, w);
  const rng = new Rng(12);
  // weights large enough that the softmax is far from uniform, γ open
  const values = list.slots.map((s) => (s.init === 'zero' ? Float32Array.of(1.3) : rng.uniformArray(s.shape.reduce((a, b) => a * b, 1), -1, 1)));
  const xs = rng.uniformArray(n * h * w * c, -1, 1);
  const cs = rng.normalArray(n * h * w * c);
  const ws = values.map((v, i) => tf.tensor(v, list.slots[i].shape));
  const x = tf.tensor4d(xs, [n, h, w, c]);
  const objective = (input: Tensor, weights: Tensor[]) => tf.sum(tf.mul(selfAttention(tfjsOps, input, weights, block), tf.tensor4d(cs, [n, h, w, c])));
  const grads = tf.grads((...args: Tensor[]) => objective(args[0], args.slice(1)))([x, ...ws]).map((g) => g.dataSync());
  const out = selfAttention(tfjsOps, x, ws, block).dataSync();
  const weights = (vals: Float32Array[]): Weights64 => new Map(list.slots.map((s, i) => [s.name, Float64Array.from(vals[i])]));
  const ref = (input: Float32Array | Float64Array, vals: Float32Array[]) => attention64({ data: Float64Array.from(input), n, h, w, c }, weights(vals), 'attention').data;
  const expected = ref(xs, values);
  assert.ok(relErr(out, expected) < 1e-5, `output: relative error ${relErr(out, expected)}`);
  // the attention part itself matters: without it (γ = 0) the output would be x
  assert.ok(maxAbsDiff(expected, xs) > 0.1, 'the attention block changes its input');
  const loss = (input: Float32Array | Float64Array, vals: Float32Array[]) => ref(input, vals).reduce((s, v, i) => s + cs[i] * v, 0);
  const hStep = 1e-3;
  const central = (f: (d: number) => number) => (f(hStep) - f(-hStep)) / (2 * hStep);
  for (let k = 0; k < xs.length; k += 11) {
    const fd = central((d) => {
      const moved = Float64Array.from(xs);
      moved[k] += d;
      return loss(moved, values);
    });
    assert.ok(Math.abs(grads[0][k] - fd) <= 1e-3 * (1 + Math.abs(fd)), `∂/∂x[${k}]: ${grads[0][k]} vs ${fd}`);
  }
  list.slots.forEach((slot, i) => {
    for (const at of [0, values[i].length - 1]) {
      const fd = central((d) => {
        const vals = values.map((v) => v.slice());
        vals[i][at] += d;
        return loss(xs, vals);
      });
      assert.ok(Math.abs(grads[i + 1][at] - fd) <= 1e-3 * (1 + Math.abs(fd)), `∂/∂${slot.name}[${at}]: ${grads[i + 1][at]} vs ${fd}`);
    }
  });
  tf.dispose([x, ...ws]);
});

test("the paper presets' nets are the authors': their parameter counts, no biases but the dense layer's and attention's, shortcuts only where the stride or width changes", () => {
  // sum(p.numel() for p in get_model(config).parameters()) of clear-nus/fdrl src/models.py
  // (torch 1.13), for each config's img_size, model, self_attn and spectral_norm
  const AUTHORS_COUNTS: Record<string, number> = { 'paper-32': 11374209, 'paper-64': 5126081, 'paper-128': 5437377, 'paper-translate-64': 1546354 };
  for (const [preset, count] of Object.entries(AUTHORS_COUNTS)) {
    const { config } = resolveConfig({ preset, overrides: { data: 'x' }, defaults: {} });
    const size = config.imageSize!;
    const spec = netSpec(config.net, size * size * 3, { height: size, width: size, channels: 3 });
    assert.equal(spec.type, 'basic-resnet', preset);
    const { slots } = convLayout(spec as BasicResNetSpec);
    assert.equal(
      slots.reduce((total, s) => total + s.shape.reduce((a, b) => a * b, 1), 0),
      count,
      `${preset}: parameter count`,
    );
    const biases = slots.filter((s) => s.name.endsWith('/bias')).map((s) => s.name.split('/')[0]);
    assert.ok(biases.every((b) => b === 'dense' || b === 'attention'), `${preset}: biases only in the dense layer and attention (${biases})`);
    // a shortcut conv exactly on the first block of a stage that strides or widens
    const s = spec as BasicResNetSpec;
    s.stages.forEach((stage, i) => {
      const widens = (i === 0 ? s.stem : s.stages[i - 1].channels) !== stage.channels;
      const shortcuts = slots.filter((slot) => slot.name.startsWith(`stage${i + 1}/`) && slot.name.includes('shortcut')).map((slot) => slot.name);
      assert.deepEqual(shortcuts, stage.stride === 2 || widens ? [`stage${i + 1}/block1/shortcut/kernel`] : [], `${preset} stage ${i + 1}`);
    });
  }
});
