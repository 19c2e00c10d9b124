/**
 * [slow] A short MNIST run with the `mnist-cpu` net: the ratio loss falls from its untrained
 * value, and the samples move measurably toward the data — the FID on our own MNIST features
 * (a feature net trained here, into a temporary cache) falls from the prior's draws to the
 * samples of the trained net. Sizes are cut to keep this to a few minutes on 2 cores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { resolveDataset, isImageDataset } from '../../src/data/index.js';
import { Trainer, deriveSetup } from '../../src/train/trainer.js';
import { trainFeatureNet, imageMetrics } from '../../src/eval/features.js';
import { clampImages, realImageSets } from '../../src/report/evaluate-images.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir } from '../helpers/cli.js';

test('[slow] mnist-cpu, short run: the ratio loss falls and the FID on our features falls', async () => {
  await initEngine('wasm');
  const ds = resolveDataset('mnist');
  assert.ok(isImageDataset(ds));
  const t0 = performance.now();
  // a smaller, shorter-trained classifier than `dggf features train`'s: enough to rank samples
  const features = await trainFeatureNet(ds, { steps: 100, seed: 1, filters: [16, 32, 64], cacheDir: tempDir('mnist-features'), save: false });
  const featureSeconds = (performance.now() - t0) / 1000;
  const { config } = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', seed: 0, iterations: 60 }, defaults: {} });
  const tr = new Trainer(config, ds, await deriveSetup(config, ds));
  const n = 300;
  const { real, other } = realImageSets(ds, n, 5);
  const fidOf = async (x: Float32Array) => (await imageMetrics(features, clampImages(x), real, other, n)).fid;
  const priorFid = await fidOf(tr.model.prior.sample(n, new Rng(3)));
  const losses: number[] = [];
  const t1 = performance.now();
  while (tr.iteration < config.iterations) losses.push((await tr.step()).loss);
  const trainSeconds = (performance.now() - t1) / 1000;
  // online weights: with EMA 0.998 the averaged copy has barely moved after 120 iterations
  const samples = (await tr.model.sample(n, { seed: 4, online: true })).samples;
  const sampleFid = await fidOf(samples);
  const realFid = (await imageMetrics(features, other, real, other, n)).realFid;
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const early = mean(losses.slice(0, 10));
  const late = mean(losses.slice(-20));
  console.log(
    `# mnist short run: feature net ${featureSeconds.toFixed(0)} s (accuracy ${(100 * features.meta.testAccuracy).toFixed(1)}%), ` +
      `${config.iterations} iterations ${trainSeconds.toFixed(0)} s; loss ${early.toFixed(4)} → ${late.toFixed(4)}; ` +
      `FID prior ${priorFid.toFixed(2)} → samples ${sampleFid.toFixed(2)} (real vs real ${realFid.toFixed(2)})`,
  );
  assert.ok(features.meta.testAccuracy > 0.9, `feature net accuracy ${features.meta.testAccuracy}`);
  assert.ok(late < early - 0.005, `ratio loss ${early} → ${late}`);
  assert.ok(sampleFid < 0.8 * priorFid, `FID ${priorFid} → ${sampleFid}`);
  tr.dispose();
  features.dispose();
});
