/**
 * Image models: conv/ResNet ratio nets (shapes, input gradients against finite differences),
 * the data-dependent priors (full covariance and low rank + diagonal) on synthetic data, the
 * prior file of a run folder, and config errors for nets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { initEngine, tf } from '../../src/engine/index.js';
import { createRatioNet, netSpec } from '../../src/nets/ratio-net.js';
import type { ConvSpec } from '../../src/nets/conv.js';
import { drift, ratioTerm } from '../../src/flow/index.js';
import { compileTerm, driftGradient } from '../../src/engine/tfjs/drift.js';
import { ENGINE_SETUPS, useEngine } from '../helpers/engine.js';
import { dataGaussianPrior, meanCovariance, priorFromState, FULL_COVARIANCE_MAX_DIM } from '../../src/priors/index.js';
import { engineMeanCovariance } from '../../src/priors/low-rank.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { PREACT_RESNETS } from '../../src/config/presets.js';
import { readStoredRun, writeStoredRun } from '../../src/train/run-folder.js';
import { makeImageDataset } from '../../src/data/images/index.js';
import { deriveSetup } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir } from '../helpers/cli.js';

const image = { height: 8, width: 8, channels: 3 as const };
const dim = 8 * 8 * 3;

const specs: ConvSpec[] = [
  { type: 'cnn', image, channels: [4, 6, 8], activation: 'silu' },
  { type: 'cnn', image, channels: [4, 6], activation: 'silu', head: 'flatten' },
  { type: 'resnet', image, stem: 4, blocks: [{ channels: 4, down: false }, { channels: 6, down: true }], activation: 'silu' },
  { type: 'cnn', image, channels: [4, 6], activation: 'silu', head: 'flatten', spectralNorm: true },
  { type: 'resnet', image, stem: 4, blocks: [{ channels: 6, down: true }], activation: 'silu', spectralNorm: true },
  { type: 'cnn', image, channels: [4, 6], activation: 'silu', head: 'flatten', headHidden: [5, 3], spectralNorm: true },
  { type: 'cnn', image, channels: [4, 6], activation: 'silu', headHidden: [5] },
  // the authors' net with self-attention (gate opened below) after a stride-2 stage
  { type: 'basic-resnet', image, stem: 4, stages: [{ channels: 8, blocks: 1, stride: 2 }, { channels: 8, blocks: 1, stride: 1 }], attentionAfter: 1, activation: 'silu', spectralNorm: true },
];

for (const setup of ENGINE_SETUPS) {
  for (const spec of specs) {
    const label =
      (spec.type === 'cnn' && spec.head ? `${spec.type} (${spec.head} head)` : spec.type) +
      (spec.type === 'cnn' && spec.headHidden ? ` with dense hidden ${spec.headHidden.join('-')}` : '') +
      (spec.type === 'basic-resnet' && spec.attentionAfter ? ' with self-attention' : '') +
      (spec.spectralNorm ? ' with spectral norm' : '');
    test(`[${setup.label}] ${label} ratio net: output [n, 1], drift = finite differences of the potential`, async () => {
      await useEngine(setup);
      const net = createRatioNet(spec, new Rng(3));
      // an attention gate starts at 0, which would hide the attention block
      for (const p of net.params) if (p.name.endsWith('/gamma')) p.variable.assign(tf.tensor([0.8], [1]));
      const rng = new Rng(4);
      const n = 3;
      const xs = rng.normalArray(n * dim);
      const x = tf.tensor2d(xs, [n, dim]);
      const out = net.apply(x);
      assert.deepEqual(out.shape, [n, 1]);
      // the flatten head's first dense layer reads every position of the last map (8×8 halved
      // per stride-2 layer; the mean head: its channels only), then any hidden layers, then one output
      if (spec.type === 'cnn') {
        const last = spec.channels[spec.channels.length - 1];
        const side = 8 / 2 ** (spec.channels.length - 1);
        const widths = [spec.head === 'flatten' ? side * side * last : last, ...(spec.headHidden ?? []), 1];
        const dense = net.params.filter((p) => p.name.endsWith('/kernel') && p.variable.shape.length === 2).map((p) => p.variable.shape);
        assert.deepEqual(dense, widths.slice(1).map((w, i) => [widths[i], w]));
      }
      // SiLU is smooth, so central differences of Σ f′(out) are accurate in float32 at h = 1e-2
      const term = ratioTerm(net, 'kl', 'log-ratio');
      const gx = await drift(x, [term]);
      const grad = gx.arraySync() as number[][];
      gx.dispose();
      const potential = (v: Float32Array): number =>
        tf.tidy(() => tf.sum(compileTerm(term).potential(tf.tensor2d(v, [n, dim]))).dataSync()[0]);
      const h = 1e-2;
      let worst = 0;
      let scale = 0;
      for (const k of [0, 17, dim + 5, 2 * dim + dim - 1, 100]) {
        const plus = Float32Array.from(xs);
        const minus = Float32Array.from(xs);
        plus[k] += h;
        minus[k] -= h;
        const fd = (potential(plus) - potential(minus)) / (2 * h);
        const g = grad[Math.floor(k / dim)][k % dim];
        worst = Math.max(worst, Math.abs(fd - g));
        scale = Math.max(scale, Math.abs(g));
      }
      assert.ok(scale > 1e-6, 'gradient is not trivially zero');
      assert.ok(worst <= 2e-3 * (1 + scale), `max |fd − grad| = ${worst} (scale ${scale})`);
      tf.dispose([x, out]);
      net.dispose();
    });
  }
}

test('[tfjs] conv terms are portable to flow workers and marked heavy; a conv net on point data is refused', async () => {
  await initEngine('cpu', { engine: 'tfjs' });
  const net = createRatioNet(specs[0], new Rng(1));
  const term = compileTerm(ratioTerm(net, 'kl', 'log-ratio'));
  assert.equal(term.heavy, true);
  assert.deepEqual(term.portable!().spec, specs[0]);
  net.dispose();
  assert.throws(() => netSpec({ type: 'cnn', channels: [4], activation: 'relu' }, 2), /needs image data/);
});

test('full-covariance data prior: mean and covariance of its draws match the data', async () => {
  await initEngine('wasm');
  const rng = new Rng(7);
  const d = 6;
  // correlated synthetic data: x = A z + m
  const a = rng.normalArray(d * d);
  const n = 4000;
  const z = rng.normalArray(n * d);
  const pts = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let r = 0; r < d; r++) {
    let s = r * 0.3;
    for (let c = 0; c < d; c++) s += 0.5 * a[r * d + c] * z[i * d + c];
    pts[i * d + r] = s;
  }
  const target = meanCovariance(pts, d);
  const prior = await dataGaussianPrior(pts, d);
  const draws = prior.sample(40000, new Rng(8));
  const got = meanCovariance(draws, d);
  for (let j = 0; j < d; j++) assert.ok(Math.abs(got.mean[j] - target.mean[j]) < 0.03, `mean[${j}]`);
  for (let k = 0; k < d * d; k++) {
    const tol = 0.05 * Math.sqrt(target.cov[(k % d) * (d + 1)] * target.cov[Math.floor(k / d) * (d + 1)]);
    assert.ok(Math.abs(got.cov[k] - target.cov[k]) < tol + 1e-3, `cov[${k}] ${got.cov[k]} vs ${target.cov[k]}`);
  }
  // the engine's covariance (used for images) agrees with the float64 one
  const eng = await engineMeanCovariance(pts, d, 1000);
  for (let k = 0; k < d * d; k++) assert.ok(Math.abs(eng.cov[k] - target.cov[k]) < 1e-4);
});

/** Each coordinate's variance, and the covariance of the first `lead` coordinates. */
function leadingCovariance(points: Float32Array, d: number, lead: number): { variance: Float64Array; lead: { cov: Float64Array } } {
  const n = points.length / d;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += points[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) variance[j] += (points[i * d + j] - mean[j]) ** 2 / (n - 1);
  const first = new Float32Array(n * lead);
  for (let i = 0; i < n; i++) first.set(points.subarray(i * d, i * d + lead), i * lead);
  return { variance, lead: meanCovariance(first, lead) };
}

test('low-rank + diagonal data prior above the full-covariance limit: exact variances, top covariance kept, clamped draws', async () => {
  await initEngine('wasm');
  // 32×32 RGB (CIFAR-10's 3,072 values) is fitted with the full covariance, as the authors'; 64×64 RGB is not
  assert.ok(FULL_COVARIANCE_MAX_DIM >= 32 * 32 * 3 && FULL_COVARIANCE_MAX_DIM < 64 * 64 * 3);
  const d = FULL_COVARIANCE_MAX_DIM + 76;
  const k = 5;
  const rng = new Rng(11);
  const basis = rng.normalArray(d * k);
  const n = 600;
  const z = rng.normalArray(n * k);
  const e = rng.normalArray(n * d);
  const pts = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    let s = 0.1 * e[i * d + j];
    for (let c = 0; c < k; c++) s += 0.2 * basis[j * k + c] * z[i * k + c];
    pts[i * d + j] = s;
  }
  const prior = await dataGaussianPrior(pts, d, 1e-4, { clamp: false, rank: 16 });
  const state = prior.toJSON();
  assert.ok('factor' in state && state.rank === 16, 'low-rank form above the limit');
  // every variance, and the covariance among the first 40 coordinates (the full d² one is slow in JS)
  const data = leadingCovariance(pts, d, 40);
  const draws = prior.sample(3000, new Rng(12));
  const got = leadingCovariance(draws, d, 40);
  let varErr = 0;
  let covErr = 0;
  let covScale = 0;
  for (let j = 0; j < d; j++) varErr = Math.max(varErr, Math.abs(got.variance[j] - data.variance[j]) / data.variance[j]);
  for (let j = 0; j < 40; j++) for (let l = j + 1; l < 40; l++) {
    covErr = Math.max(covErr, Math.abs(got.lead.cov[j * 40 + l] - data.lead.cov[j * 40 + l]));
    covScale = Math.max(covScale, Math.abs(data.lead.cov[j * 40 + l]));
  }
  assert.ok(varErr < 0.12, `variances within 12% (worst ${varErr})`);
  assert.ok(covErr < 0.2 * covScale, `off-diagonal covariance kept (worst error ${covErr} of ${covScale})`);
  const clamped = (await dataGaussianPrior(pts.map((v) => v * 10), d, 1e-4, { clamp: true, rank: 8 })).sample(10, new Rng(1));
  assert.ok(clamped.every((v) => v >= -1 && v <= 1));
  // the stored state rebuilds the same prior
  const again = priorFromState(state).sample(4, new Rng(5));
  assert.deepEqual(Array.from(again), Array.from(prior.sample(4, new Rng(5))));
});

for (const prior of ['data-gaussian', 'data-gmm'] as const) {
  test(`image runs keep big prior arrays in prior.bin (${prior}); config.json stays small and reads back the same prior`, async () => {
    await initEngine('wasm');
    const rng = new Rng(2);
    const count = 50;
    // 16×16×3 = 768 values: a 768² Cholesky factor (or two 768×24 factors) is far too big for config.json
    const pixels = new Uint8Array(count * 16 * 16 * 3).map(() => rng.int(256));
    const ds = makeImageDataset({ name: 'tiny', image: { height: 16, width: 16, channels: 3 }, train: { count, pixels }, flip: true });
    const overrides = { data: 'tiny', prior, ...(prior === 'data-gmm' ? { priorComponents: 2 } : {}), net: { type: 'cnn' as const, channels: [4, 4], activation: 'relu' as const } };
    const { config } = resolveConfig({ preset: 'emoji-cpu', overrides, defaults: {} });
    const derived = await deriveSetup(config, ds);
    assert.deepEqual(derived.image, ds.image);
    assert.equal(derived.prior.name, prior);
    const dir = tempDir('prior-bin');
    writeStoredRun(dir, config, derived);
    const json = fs.readFileSync(`${dir}/config.json`, 'utf8');
    assert.ok(!/"(chol|factors)"/.test(json), 'the factors are not inline');
    assert.ok(fs.existsSync(`${dir}/prior.bin`));
    const back = readStoredRun(dir)!;
    const a = priorFromState(back.derived.prior).sample(3, new Rng(9));
    const b = priorFromState(derived.prior).sample(3, new Rng(9));
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.ok(a.every((v) => v >= -1 && v <= 1), 'image prior draws are clamped to [−1, 1]');
    // a torn prior.bin is reported, naming the file
    fs.writeFileSync(`${dir}/prior.bin`, fs.readFileSync(`${dir}/prior.bin`).subarray(0, 100));
    assert.throws(() => readStoredRun(dir), /prior\.bin/);
  });
}

test('config: image presets pick κ from the prior; a bad net names the field', () => {
  const ddp = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist' }, defaults: {} }).config;
  assert.equal(ddp.sampleExtraSteps, 20);
  const up = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', prior: 'uniform' }, defaults: {} }).config;
  assert.equal(up.sampleExtraSteps, 10);
  const explicit = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', prior: 'uniform', sampleExtraSteps: 3 }, defaults: {} }).config;
  assert.equal(explicit.sampleExtraSteps, 3);
  assert.throws(
    () => resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', net: { hidden: 8 } }, defaults: {} }),
    /net: unknown field\(s\) for a 'cnn' net: hidden/,
  );
  assert.throws(
    () => resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', net: { type: 'vit' } as never }, defaults: {} }),
    /net\.type: expected one of mlp, cnn, resnet, basic-resnet/,
  );
  // spectral norm: an option of conv nets (merged into the preset's net), refused for MLPs
  const sn = resolveConfig({ preset: 'emoji-cpu', overrides: { data: 'emoji', net: { spectralNorm: false } }, defaults: {} }).config;
  assert.deepEqual(sn.net, { type: 'cnn', channels: [16, 32, 64], activation: 'leaky_relu', head: 'flatten', headHidden: [128], spectralNorm: false });
  assert.throws(
    () => resolveConfig({ preset: 'toy', overrides: { data: '8gaussians', net: { spectralNorm: true } }, defaults: {} }),
    /net: unknown field\(s\) for a 'mlp' net: spectralNorm/,
  );
  // dense hidden layers of a cnn head: positive integer widths, named when wrong
  const fc = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', net: { headHidden: [128] } }, defaults: {} }).config;
  assert.deepEqual(fc.net.type === 'cnn' && fc.net.headHidden, [128]);
  assert.throws(
    () => resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', net: { headHidden: [0] } as never }, defaults: {} }),
    /net\.headHidden\.0/,
  );
  // another net type replaces the preset's instead of mixing fields
  const mlp = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', net: { type: 'mlp', hidden: 32, depth: 1, activation: 'relu' } }, defaults: {} }).config;
  assert.deepEqual(mlp.net, { type: 'mlp', hidden: 32, depth: 1, activation: 'relu' });
  // the paper presets: the authors' nets with their configs' spectral norm (cifar10.yaml on, celeba and lsun_church off)
  for (const [p, spectralNorm] of [['paper-32', true], ['paper-64', undefined], ['paper-128', undefined]] as const) {
    const c = resolveConfig({ preset: p, overrides: { data: 'x' }, defaults: {} }).config;
    assert.equal(c.net.type, 'basic-resnet');
    assert.equal(c.net.type === 'basic-resnet' && c.net.spectralNorm, spectralNorm, p);
    assert.equal(c.flowSteps, 100);
    assert.equal(c.sampleExtraSteps, 20);
  }
  // our pre-activation ResNet and the authors' with self-attention stay available as net configs
  const ours = resolveConfig({ preset: 'paper-32', overrides: { data: 'x', net: PREACT_RESNETS[32] }, defaults: {} }).config;
  assert.equal(ours.net.type, 'resnet');
  const attn = resolveConfig({ preset: 'paper-64', overrides: { data: 'x', net: { attentionAfter: 2 } }, defaults: {} }).config;
  assert.ok(attn.net.type === 'basic-resnet' && attn.net.attentionAfter === 2);
  assert.throws(() => resolveConfig({ preset: 'paper-64', overrides: { data: 'x', net: { attentionAfter: 5 } }, defaults: {} }), /net\.attentionAfter: there are 4 stages/);
  assert.throws(
    () => resolveConfig({ preset: 'paper-64', overrides: { data: 'x', net: { stages: [{ channels: 4, blocks: 1, stride: 2 }], attentionAfter: 1 } }, defaults: {} }),
    /self-attention needs at least 8 channels/,
  );
  assert.throws(() => resolveConfig({ preset: 'paper-64', overrides: { data: 'x', net: { stages: [{ channels: 8, blocks: 1, stride: 3 }] } as never }, defaults: {} }), /net\.stages\.0\.stride/);
});

test('[tfjs] big nets work in row blocks: the drift and the training step match the one-piece result', async () => {
  await initEngine('wasm', { engine: 'tfjs' });
  const { config } = resolveConfig({
    preset: 'emoji-cpu',
    overrides: { data: 'tiny', batch: 10, flowSteps: 2, net: { type: 'cnn', channels: [4, 6], activation: 'leaky_relu' } },
    defaults: {},
  });
  const rng = new Rng(21);
  const pixels = new Uint8Array(40 * dim).map(() => rng.int(256));
  const ds = makeImageDataset({ name: 'tiny', image, train: { count: 40, pixels }, flip: false });
  const derived = await deriveSetup(config, ds);
  const { Trainer } = await import('../../src/train/trainer.js');
  const whole = new Trainer(config, ds, derived);
  const blocks = new Trainer(config, ds, derived);
  whole.model.net.maxRows = undefined;
  blocks.model.net.maxRows = 3; // 10 rows → blocks of 3, 3, 3, 1
  const x = tf.tensor2d(new Rng(5).normalArray(10 * dim), [10, dim]);
  const g1 = driftGradient([whole.model.ratioTerm(true)])(x).dataSync();
  const g2 = driftGradient([blocks.model.ratioTerm(true)])(x).dataSync();
  let worst = 0;
  for (let i = 0; i < g1.length; i++) worst = Math.max(worst, Math.abs(g1[i] - g2[i]));
  assert.ok(worst < 1e-6, `drift differs by ${worst}`);
  for (let it = 0; it < 3; it++) {
    const a = await whole.step();
    const b = await blocks.step();
    assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `loss ${a.loss} vs ${b.loss}`);
    assert.ok(Math.abs(a.gradNorm - b.gradNorm) < 1e-4 * (1 + a.gradNorm), `grad norm ${a.gradNorm} vs ${b.gradNorm}`);
  }
  const w1 = whole.model.net.params[0].variable.dataSync();
  const w2 = blocks.model.net.params[0].variable.dataSync();
  for (let i = 0; i < w1.length; i++) assert.ok(Math.abs(w1[i] - w2[i]) < 1e-5);
  x.dispose();
  whole.dispose();
  blocks.dispose();
});
