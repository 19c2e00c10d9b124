/**
 * `dggf export` (src/export/): the ONNX graphs, run by onnxruntime-node, and the TF.js layers
 * model, flowed by tf.grad, fed the same starting points and noise, reproduce our sampler within float tolerance
 * (a 2-D MLP run and a conv image run with spectral norm and a full-covariance data prior); the
 * example sampler (examples/onnx/sample.mjs) runs on an export; bad options are one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import ort from 'onnxruntime-node';
import { initEngine, tf } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { makeImageDataset } from '../../src/data/images/index.js';
import { deriveSetup } from '../../src/train/trainer.js';
import { FlowModel, flowNoise } from '../../src/flow/model.js';
import { loadRun } from '../../src/train/run.js';
import { denormalize } from '../../src/data/normalizer.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { exportTfjs } from '../../src/export/tfjs.js';
import type { BinaryArray, ExportManifest } from '../../src/export/manifest.js';
import { io } from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { getDivergence } from '../../src/divergences/index.js';
import { tfjsOps } from '../../src/engine/tfjs-ops.js';
import { Rng } from '../../src/util/rng.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { maxRelativeError } from '../helpers/compare.js';
import { pathToFileURL } from 'node:url';
import { toyDataset } from '../../src/data/points.js';
import { parseManifest } from '../../src/exported/manifest.js';
import { drawPrior, priorValues } from '../../src/exported/prior.js';
import { seededNormals } from '../../src/exported/seeded-normals.js';

const readManifest = (dir: string): ExportManifest => JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ExportManifest;

/** The export's TF.js layers model, read back from its files. */
async function readLayersModel(dir: string): Promise<Awaited<ReturnType<typeof loadLayersModel>>> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bytes = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
  return loadLayersModel(io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bytes).buffer }));
}

/**
 * Our sampler's flow of x0 (standardised space) against the export's, fed the same noise:
 * flow-step.onnx, or for a TF.js export x − η tf.grad(Σ f′(model(x))) + ν ξ.
 */
async function compareFlows(model: FlowModel, dir: string, n: number, seed: number): Promise<{ ours: Float32Array; theirs: Float32Array; manifest: ExportManifest }> {
  const manifest = readManifest(dir);
  const dim = manifest.dim;
  const x0 = model.prior.sample(n, new Rng(seed + 1));
  const ours = (await model.flowFrom(denormalize(x0, dim, model.derived.normalizer), n, { seed })).samples;
  const noise = flowNoise(new Rng(seed).nextU32(), model.derived).stepper(0, n, dim);
  let x: Float32Array = Float32Array.from(x0);
  if (manifest.flowStep) {
    const step = await ort.InferenceSession.create(path.join(dir, manifest.flowStep.file));
    for (let k = 0; k < manifest.flow.steps; k++) {
      const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', x, [n, dim]) };
      const xi = k >= manifest.flow.steps - manifest.flow.quietSteps ? new Float32Array(n * dim) : Float32Array.from(noise());
      if (manifest.flow.noise > 0) feeds.noise = new ort.Tensor('float32', xi, [n, dim]);
      x = Float32Array.from((await step.run(feeds)).x_next.data as Float32Array);
    }
    await step.release();
  } else {
    const layers = await readLayersModel(dir);
    const d = getDivergence(model.config.divergence);
    const output = manifest.ratioNet.outputIs;
    const grad = tf.grad((v) => tf.sum(d.fPrimeOf(tfjsOps, layers.apply(v) as tf.Tensor, output)));
    for (let k = 0; k < manifest.flow.steps; k++) {
      const xi = k >= manifest.flow.steps - manifest.flow.quietSteps ? new Float32Array(n * dim) : Float32Array.from(noise());
      x = tf.tidy(() => {
        const v = tf.tensor2d(x, [n, dim]);
        return tf.add(tf.sub(v, tf.mul(grad(v), manifest.flow.eta)), tf.mul(tf.tensor2d(xi, [n, dim]), manifest.flow.noise)).dataSync() as Float32Array;
      });
    }
    layers.dispose();
  }
  return { ours, theirs: denormalize(x, dim, model.derived.normalizer), manifest };
}

const meanStd = (v: Float32Array, dim: number, j: number): { mean: number; std: number } => {
  const n = v.length / dim;
  let s = 0;
  let q = 0;
  for (let i = 0; i < n; i++) s += v[i * dim + j];
  const mean = s / n;
  for (let i = 0; i < n; i++) q += (v[i * dim + j] - mean) ** 2;
  return { mean, std: Math.sqrt(q / n) };
};

test('export: a 2-D run through the CLI; the ONNX flow step reproduces our sampler, the ratio net our outputs, the example samples alike', async () => {
  const dir = tempDir('export-2d');
  const run = path.join(dir, 'run');
  const out = path.join(dir, 'onnx');
  const trained = runCli(['train', '--data', '8gaussians', '--out', run, '--iterations', '60', '--no-report']);
  assert.equal(trained.code, 0, trained.stderr);
  const r = runCli(['export', '--run', run, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ratio-net\.onnx, flow-step\.onnx, manifest\.json/);
  for (const f of ['ratio-net.onnx', 'flow-step.onnx', 'manifest.json']) assert.ok(fs.existsSync(path.join(out, f)), f);

  await initEngine('cpu');
  const { model } = loadRun(run);
  try {
    const { ours, theirs, manifest } = await compareFlows(model, out, 200, 5); // one of flowFrom's batches (250 rows)
    assert.equal(manifest.prior.name, 'gaussian');
    assert.equal(manifest.flow.steps, model.config.flowSteps + model.config.sampleExtraSteps);
    assert.equal(manifest.flow.quietSteps, model.config.sampleQuietSteps ?? 0);
    const err = maxRelativeError(ours, theirs);
    assert.ok(err < 1e-4, `flow of 200 points over ${manifest.flow.steps} steps: max error ${err} of the largest value`);

    const tfjsOut = path.join(dir, 'tfjs');
    const t = runCli(['export', '--run', run, '--out', tfjsOut, '--format', 'tfjs']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /model\.json, weights\.bin, manifest\.json/);
    const viaTfjs = await compareFlows(model, tfjsOut, 200, 5);
    assert.ok(maxRelativeError(viaTfjs.ours, viaTfjs.theirs) < 1e-4, 'the TF.js layers model flows as ours does');
    // …and it is the flow: the points moved
    assert.ok(maxRelativeError(ours, denormalize(model.prior.sample(200, new Rng(6)), 2, model.derived.normalizer)) > 0.05);

    const x = new Rng(7).normalArray(64 * 2);
    const net = await ort.InferenceSession.create(path.join(out, 'ratio-net.onnx'));
    const theirsOut = (await net.run({ x: new ort.Tensor('float32', x, [64, 2]) })).out.data as Float32Array;
    await net.release();
    const xt = tf.tensor2d(x, [64, 2]);
    const oursOut = await model.outputs(xt);
    xt.dispose();
    assert.ok(maxRelativeError(oursOut, theirsOut) < 1e-5, 'ratio-net.onnx gives our outputs');

    // the example: its own RNG, so compare the distribution with our sampler's
    const ex = spawnSync(process.execPath, [path.join(ROOT, 'examples', 'onnx', 'sample.mjs'), out, '2000', '3'], { encoding: 'utf8' });
    assert.equal(ex.status, 0, ex.stderr);
    const rows = ex.stdout.trim().split('\n').map((l) => l.split(',').map(Number));
    assert.equal(rows.length, 2000);
    assert.ok(rows.every((row) => row.length === 2 && row.every(Number.isFinite)));
    const example = Float32Array.from(rows.flat());
    // the TF.js example, same seed: the same prior draws and noise, so the same samples
    const exTfjs = spawnSync(process.execPath, [path.join(ROOT, 'examples', 'tfjs', 'sample.mjs'), tfjsOut, '2000', '3'], { encoding: 'utf8' });
    assert.equal(exTfjs.status, 0, exTfjs.stderr);
    const fromTfjs = Float32Array.from(exTfjs.stdout.trim().split('\n').flatMap((l) => l.split(',').map(Number)));
    // two engines' float rounding, compounded over 45 steps (measured 2e-4)
    assert.ok(maxRelativeError(example, fromTfjs) < 1e-3, 'the two examples agree');
    const ourSamples = (await model.sample(2000, { seed: 9 })).samples;
    for (const j of [0, 1]) {
      const a = meanStd(example, 2, j);
      const b = meanStd(ourSamples, 2, j);
      assert.ok(Math.abs(a.mean - b.mean) < 0.15 && Math.abs(a.std - b.std) < 0.15, `coordinate ${j}: example ${JSON.stringify(a)} vs ours ${JSON.stringify(b)}`);
    }
  } finally {
    model.dispose();
  }
});

test('export: a conv image net with spectral norm and a full-covariance data prior (prior.bin) reproduces our flow', async () => {
  await initEngine('cpu');
  const rng = new Rng(2);
  const count = 40;
  const image = { height: 8, width: 8, channels: 3 } as const;
  const pixels = new Uint8Array(count * 8 * 8 * 3).map(() => rng.int(256));
  const ds = makeImageDataset({ name: 'tiny', image, train: { count, pixels }, flip: false });
  const { config } = resolveConfig({
    preset: 'emoji-cpu',
    overrides: { data: 'tiny', prior: 'data-gaussian', net: { type: 'cnn', channels: [4, 6], activation: 'leaky_relu', head: 'flatten', headHidden: [8], spectralNorm: true } },
    defaults: {},
  });
  const derived = await deriveSetup(config, ds);
  const model = new FlowModel(config, derived, new Rng(3));
  const out = tempDir('export-image');
  try {
    const manifest = await exportOnnx(model, out, { data: 'tiny', iteration: 0 });
    assert.equal(manifest.prior.name, 'data-gaussian');
    assert.deepEqual(manifest.image, { ...image, layout: 'HWC', range: [-1, 1] });
    // prior.bin holds the prior's mean and Cholesky factor
    const state = model.prior.toJSON() as unknown as { mean: number[]; chol: number[] };
    const bin = fs.readFileSync(path.join(out, 'prior.bin'));
    const all = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
    assert.ok('chol' in manifest.prior);
    if ('chol' in manifest.prior) {
      const { mean, chol } = manifest.prior;
      assert.deepEqual(Array.from(all.subarray(mean.offset, mean.offset + mean.length)), Array.from(Float32Array.from(state.mean)));
      assert.deepEqual(Array.from(all.subarray(chol.offset, chol.offset + chol.length)), Array.from(Float32Array.from(state.chol)));
    }
    const { ours, theirs } = await compareFlows(model, out, 20, 11);
    const err = maxRelativeError(ours, theirs);
    assert.ok(err < 1e-4, `image flow: max error ${err} of the largest value`);
    const tfjsOut = tempDir('export-image-tfjs');
    await exportTfjs(model, tfjsOut, { data: 'tiny', iteration: 0 });
    const viaTfjs = await compareFlows(model, tfjsOut, 20, 11);
    const errTfjs = maxRelativeError(viaTfjs.ours, viaTfjs.theirs);
    assert.ok(errTfjs < 1e-4, `image flow through the TF.js layers model: max error ${errTfjs}`);

    const ex = spawnSync(process.execPath, [path.join(ROOT, 'examples', 'onnx', 'sample.mjs'), out, '5'], { encoding: 'utf8' });
    assert.equal(ex.status, 0, ex.stderr);
    const rows = ex.stdout.trim().split('\n').map((l) => l.split(',').map(Number));
    assert.equal(rows.length, 5);
    assert.ok(rows.every((row) => row.length === 8 * 8 * 3 && row.every((v) => v >= -1 && v <= 1)));
  } finally {
    model.dispose();
  }
});

/**
 * prior.bin of the export in `out` holds `state`'s arrays under the manifest's `keys`; our reader
 * of exports (src/exported) and the examples' (examples/shared/prior.mjs) draw the same n x₀ for
 * seed 4, which are returned.
 */
async function checkExportedPrior(out: string, prior: object, state: object, keys: string[], n: number): Promise<Float32Array> {
  const bin = fs.readFileSync(path.join(out, 'prior.bin'));
  const all = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  for (const key of keys) {
    const a = (prior as Record<string, BinaryArray>)[key];
    const values = (state as Record<string, ArrayLike<number>>)[key];
    assert.deepEqual(Array.from(all.subarray(a.offset, a.offset + a.length)), Array.from(Float32Array.from(values)), key);
  }
  const read = parseManifest(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'), 'dggf-onnx-flow');
  const ours = drawPrior(read, priorValues(new Uint8Array(bin).buffer), n, seededNormals(4));
  const shared = (await import(pathToFileURL(path.join(ROOT, 'examples', 'shared', 'prior.mjs')).href)) as {
    drawPrior: (dir: string, m: unknown, n: number, rng: unknown) => Float32Array;
    seededNormals: (seed: number) => unknown;
  };
  assert.deepEqual(Array.from(shared.drawPrior(out, read, n, shared.seededNormals(4))), Array.from(ours));
  return ours;
}

test('export: a data-gmm prior goes to prior.bin; the exported reader and the example draw the same x₀, shared by the weights', async () => {
  await initEngine('cpu');
  const { config } = resolveConfig({ preset: 'toy', overrides: { data: '25gaussians', prior: 'data-gmm', priorComponents: 6 }, defaults: {} });
  const derived = await deriveSetup(config, toyDataset('25gaussians'));
  const model = new FlowModel(config, derived, new Rng(3));
  const out = tempDir('export-gmm');
  try {
    const manifest = await exportOnnx(model, out, { data: '25gaussians', iteration: 0 });
    assert.equal(manifest.prior.name, 'data-gmm');
    const state = model.prior.toJSON() as unknown as { weights: number[]; means: number[]; chols: number[] };
    assert.equal(state.weights.length, 6);
    const gmm = manifest.prior;
    if (gmm.name !== 'data-gmm' || !('chols' in gmm)) throw new Error(`expected a full-covariance data-gmm prior, got ${gmm.name}`);
    const n = 3000;
    const ours = await checkExportedPrior(out, gmm, state, ['weights', 'means', 'chols'], n);
    // …and they follow the mixture: the share nearest each component's mean, as in our prior's draws
    const nearestCounts = (x: Float32Array): number[] => {
      const counts = new Array<number>(6).fill(0);
      for (let i = 0; i < x.length / 2; i++) {
        let best = 0;
        let bestD = Infinity;
        for (let c = 0; c < 6; c++) {
          const d = (x[2 * i] - state.means[2 * c]) ** 2 + (x[2 * i + 1] - state.means[2 * c + 1]) ** 2;
          if (d < bestD) [best, bestD] = [c, d];
        }
        counts[best]++;
      }
      return counts;
    };
    const near = nearestCounts(ours);
    const nearModel = nearestCounts(model.prior.sample(n, new Rng(5)));
    // the export draws as our prior does (other random numbers): nearest-mean shares within 3.5 points
    near.forEach((v, c) => assert.ok(Math.abs(v / n - nearModel[c] / n) < 0.035, `component ${c}: export ${v / n}, ours ${nearModel[c] / n}`));
  } finally {
    model.dispose();
  }
});

test('export: an image run\'s data-gmm prior (low-rank clusters) goes to prior.bin; both readers draw the same clamped x₀, as our prior does', async () => {
  await initEngine('cpu');
  const rng = new Rng(5);
  const count = 60;
  const image = { height: 4, width: 4, channels: 3 } as const;
  const dim = 48;
  // two kinds of image: dark and bright, each with its own spread
  const pixels = new Uint8Array(count * dim).map((_, i) => (Math.floor(i / dim) % 2 ? 190 : 60) + rng.int(50));
  const ds = makeImageDataset({ name: 'tiny', image, train: { count, pixels }, flip: false });
  const { config } = resolveConfig({
    preset: 'emoji-cpu',
    overrides: { data: 'tiny', prior: 'data-gmm', priorComponents: 2, net: { type: 'cnn', channels: [4], activation: 'leaky_relu', head: 'flatten', headHidden: [8] } },
    defaults: {},
  });
  const derived = await deriveSetup(config, ds);
  const model = new FlowModel(config, derived, new Rng(3));
  const out = tempDir('export-image-gmm');
  try {
    const manifest = await exportOnnx(model, out, { data: 'tiny', iteration: 0 });
    const gmm = manifest.prior;
    if (gmm.name !== 'data-gmm' || !('factors' in gmm)) throw new Error(`expected a low-rank data-gmm prior, got ${JSON.stringify(gmm).slice(0, 80)}`);
    assert.equal(gmm.clamp, true);
    const state = model.prior.toJSON() as unknown as { weights: number[]; means: number[]; factors: number[]; diagStds: number[]; rank: number };
    assert.deepEqual(gmm.factors.shape, [2, dim, state.rank]);
    const n = 2000;
    const ours = await checkExportedPrior(out, gmm, state, ['weights', 'means', 'factors', 'diagStds'], n);
    assert.ok(ours.every((v) => v >= -1 && v <= 1), 'clamped');
    // the export draws as our prior does (other random numbers): per-pixel means within 0.06 (σ of a mean ≈ 0.02)
    const model0 = model.prior.sample(n, new Rng(6));
    for (let a = 0; a < dim; a++) {
      const e = meanStd(ours, dim, a);
      const m = meanStd(model0, dim, a);
      assert.ok(Math.abs(e.mean - m.mean) < 0.06, `pixel ${a}: export mean ${e.mean}, ours ${m.mean}`);
    }
    const { ours: flowed, theirs } = await compareFlows(model, out, 10, 11);
    assert.ok(maxRelativeError(flowed, theirs) < 1e-4);
  } finally {
    model.dispose();
  }
});

test('export: bad options are one line, exit 2', () => {
  const dir = tempDir('export-bad');
  const notRun = runCli(['export', '--run', dir, '--out', path.join(dir, 'o')]);
  assert.equal(notRun.code, 2);
  assert.match(notRun.stderr, /not a dggf run folder/);
  const format = runCli(['export', '--run', dir, '--out', path.join(dir, 'o'), '--format', 'pickle']);
  assert.match(format.stderr, /onnx, tfjs|onnx.*tfjs/);
  assert.equal(format.code, 2);
  assert.equal(format.stderr.trim().split('\n').length, 1, format.stderr);
  assert.ok(!fs.existsSync(path.join(dir, 'o')), 'nothing written');
});

/** Our EMA net's outputs on n 8×8×3 images x, and the exported ratio-net.onnx's. */
async function oursAndOnnx(model: FlowModel, onnxDir: string, x: Float32Array, n: number): Promise<{ ours: Float32Array; viaOnnx: Float32Array }> {
  const xt = tf.tensor2d(x, [n, 192]);
  const ours = await model.outputs(xt);
  xt.dispose();
  const session = await ort.InferenceSession.create(path.join(onnxDir, 'ratio-net.onnx'));
  const viaOnnx = (await session.run({ x: new ort.Tensor('float32', x, [n, 192]) })).out.data as Float32Array;
  await session.release();
  return { ours, viaOnnx };
}

const RESNETS = [
  { label: 'a ResNet (residual sums, average pooling, mean head)', net: { type: 'resnet', stem: 4, blocks: [{ channels: 4, down: true }, { channels: 6, down: false }], activation: 'silu', spectralNorm: true } },
  // PyTorch's symmetric padding at stride 2 on an even size (where TF's 'same' differs), no biases
  {
    label: "the authors' basic-resnet (stride-2 convs and 1×1 shortcuts, no biases)",
    net: { type: 'basic-resnet', stem: 4, stages: [{ channels: 4, blocks: 1, stride: 2 }, { channels: 6, blocks: 1, stride: 2 }], activation: 'leaky_relu', spectralNorm: true },
  },
] as const;

for (const { label, net } of RESNETS) test(`export: ${label} gives our outputs in both formats`, async () => {
  await initEngine('cpu');
  const rng = new Rng(4);
  const image = { height: 8, width: 8, channels: 3 } as const;
  const ds = makeImageDataset({ name: 'tiny', image, train: { count: 20, pixels: new Uint8Array(20 * 8 * 8 * 3).map(() => rng.int(256)) }, flip: false });
  const { config } = resolveConfig({ preset: 'emoji-cpu', overrides: { data: 'tiny', net }, defaults: {} });
  const model = new FlowModel(config, await deriveSetup(config, ds), new Rng(5));
  const onnxDir = tempDir('export-resnet-onnx');
  const tfjsDir = tempDir('export-resnet-tfjs');
  try {
    await exportOnnx(model, onnxDir, { data: 'tiny', iteration: 0 });
    await exportTfjs(model, tfjsDir, { data: 'tiny', iteration: 0 });
    const n = 6;
    const x = new Rng(6).uniformArray(n * 192, -1, 1);
    const { ours, viaOnnx } = await oursAndOnnx(model, onnxDir, x, n);
    const layers = await readLayersModel(tfjsDir);
    const viaTfjs = tf.tidy(() => (layers.predict(tf.tensor2d(x, [n, 192])) as tf.Tensor).dataSync() as Float32Array);
    layers.dispose();
    assert.ok(maxRelativeError(ours, viaOnnx) < 1e-5, `ONNX ${Array.from(viaOnnx)} vs ours ${Array.from(ours)}`);
    assert.ok(maxRelativeError(ours, viaTfjs) < 1e-5, `TF.js ${Array.from(viaTfjs)} vs ours ${Array.from(ours)}`);
  } finally {
    model.dispose();
  }
});

test("export: the authors' net with self-attention: ONNX gives our outputs; --format tfjs refuses it in one line", async () => {
  await initEngine('cpu');
  const rng = new Rng(7);
  const image = { height: 8, width: 8, channels: 3 } as const;
  const ds = makeImageDataset({ name: 'tiny', image, train: { count: 20, pixels: new Uint8Array(20 * 8 * 8 * 3).map(() => rng.int(256)) }, flip: false });
  const net = { type: 'basic-resnet', stem: 8, stages: [{ channels: 8, blocks: 1, stride: 2 }], attentionAfter: 1, activation: 'leaky_relu', spectralNorm: true } as const;
  const { config } = resolveConfig({ preset: 'emoji-cpu', overrides: { data: 'tiny', net }, defaults: {} });
  const model = new FlowModel(config, await deriveSetup(config, ds), new Rng(5));
  // open the attention gate (it starts at 0) so the block counts
  const gate = model.net.params.findIndex((p) => p.name.endsWith('/gamma'));
  assert.ok(gate >= 0, 'the net has an attention gate');
  for (const v of [model.net.params[gate].variable, model.ema.variables[gate]]) v.assign(tf.tensor([0.9], [1]));
  const onnxDir = tempDir('export-attention-onnx');
  const tfjsDir = path.join(tempDir('export-attention-tfjs'), 'out');
  try {
    await exportOnnx(model, onnxDir, { data: 'tiny', iteration: 0 });
    const n = 4;
    const { ours, viaOnnx } = await oursAndOnnx(model, onnxDir, new Rng(8).uniformArray(n * 192, -1, 1), n);
    assert.ok(maxRelativeError(ours, viaOnnx) < 1e-5, `ONNX ${Array.from(viaOnnx)} vs ours ${Array.from(ours)}`);
    await assert.rejects(() => exportTfjs(model, tfjsDir, { data: 'tiny', iteration: 0 }), /--format tfjs: the net uses 'self-attention'.*use --format onnx/);
    assert.ok(!fs.existsSync(tfjsDir), 'nothing written');
  } finally {
    model.dispose();
  }
});
