import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { initEngine, tf } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { resolveDataset } from '../../src/data/index.js';
import type { PointDataset } from '../../src/data/types.js';
import { Trainer, deriveSetup, learningRateAt } from '../../src/train/trainer.js';
import { trainRun, loadRun, stallDetector, type TrainEvent } from '../../src/train/run.js';
import { latestCheckpoint, readCheckpoint } from '../../src/train/checkpoint.js';
import { readMetrics } from '../../src/train/run-folder.js';
import { tempDir } from '../helpers/cli.js';

function tinyConfig(extra: Record<string, unknown> = {}) {
  return resolveConfig({
    overrides: {
      data: '8gaussians',
      iterations: 12,
      flowSteps: 4,
      batch: 32,
      net: { hidden: 16, depth: 1 },
      checkpointEvery: 4,
      logEvery: 2,
      previewEvery: 0,
      ...extra,
    },
    defaults: {},
  });
}

test('learning rate: ×γ at each milestone (as the authors’ scheduler)', () => {
  const { config } = resolveConfig({ preset: 'paper-toy', overrides: { data: '8gaussians' }, defaults: {} });
  assert.equal(learningRateAt(config, 0), 5e-5);
  assert.equal(learningRateAt(config, 4999), 5e-5);
  assert.ok(Math.abs(learningRateAt(config, 5000) - 5e-6) < 1e-20);
  assert.ok(Math.abs(learningRateAt(config, 19999) - 5e-8) < 1e-20);
});

test('training leaks no tensors: numTensors is constant across iterations', async () => {
  await initEngine('wasm');
  const { config } = tinyConfig();
  const ds = resolveDataset('8gaussians');
  const tr = new Trainer(config, ds, await deriveSetup(config, ds));
  await tr.step();
  const n = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    await tr.step();
    assert.equal(tf.memory().numTensors, n, `iteration ${tr.iteration}`);
  }
  await tr.model.sample(50, { seed: 1, klCurve: true, trajectoryEvery: 2 });
  assert.equal(tf.memory().numTensors, n, 'after sampling');
  tr.dispose();
});

for (const extra of [{}, { instanceNoise: 0.2 }]) test(`a resumed run ends with weights identical to an uninterrupted one ${JSON.stringify(extra)}`, async () => {
  await initEngine('wasm');
  const { config, explicitKeys } = tinyConfig(extra);
  const ds = resolveDataset('8gaussians');
  const a = path.join(tempDir('resume'), 'a');
  const b = path.join(tempDir('resume'), 'b');
  await trainRun({ dir: a, config, explicitKeys, dataset: ds });
  const partial = await trainRun({ dir: b, config, explicitKeys, dataset: ds, stopAfter: 6 });
  assert.equal(partial.status, 'stopped');
  // the newest checkpoint is at iteration 4; iterations 5–6 are redone after the resume
  assert.equal(latestCheckpoint(path.join(b, 'checkpoints'))!.checkpoint.iteration, 4);
  await trainRun({ dir: b, config, explicitKeys, dataset: ds });
  const ca = readCheckpoint(path.join(a, 'checkpoints', 'iter-0000012.ckpt'));
  const cb = readCheckpoint(path.join(b, 'checkpoints', 'iter-0000012.ckpt'));
  assert.deepEqual(cb.rng, ca.rng);
  assert.equal(cb.tensors.length, ca.tensors.length);
  ca.tensors.forEach((t, i) => assert.deepEqual(Buffer.from(cb.tensors[i].values.buffer, cb.tensors[i].values.byteOffset, cb.tensors[i].values.byteLength), Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength), t.name));
  // memory is logged at every line: the engine's tensor count stays flat, the peak RSS bounds the current
  const lines = readMetrics(path.join(a, 'metrics.jsonl'));
  assert.ok(lines.length >= 2);
  for (const l of lines) {
    assert.equal(l.tensors, lines[0].tensors, `tensors at iteration ${l.iteration}`);
    assert.ok(l.rss_mb! > 0 && l.peak_rss_mb! >= l.rss_mb!, `rss ${l.rss_mb} peak ${l.peak_rss_mb}`);
    assert.ok(l.tensors! > 0 && l.engine_mb! >= 0);
  }
  // metrics were truncated at the resume point and logged again once
  assert.deepEqual(readMetrics(path.join(b, 'metrics.jsonl')).map((l) => l.iteration), [2, 4, 6, 8, 10, 12]);
  // the trained model loads back and samples
  const { model } = loadRun(b);
  assert.equal((await model.sample(10, { seed: 1 })).samples.length, 20);
  model.dispose();
});

test('instance noise: the ratio loss sees noisy batches; σ 0 is the plain step; the option is validated', async () => {
  await initEngine('wasm');
  const ds = resolveDataset('8gaussians');
  const stepWith = async (extra: Record<string, unknown>) => {
    const { config } = tinyConfig(extra);
    const tr = new Trainer(config, ds, await deriveSetup(config, ds));
    const s = await tr.step();
    tr.dispose();
    return s.loss;
  };
  const plain = await stepWith({});
  assert.equal(await stepWith({ instanceNoise: 0 }), plain);
  const noisy = await stepWith({ instanceNoise: 0.5 });
  assert.ok(Number.isFinite(noisy) && noisy !== plain, `loss with instance noise ${noisy} vs plain ${plain}`);
  assert.throws(() => tinyConfig({ instanceNoise: -1 }), /instanceNoise/);
});

test('trainQuietSteps: the last training flow steps draw no noise (all K quiet = a noise-free flow)', async () => {
  await initEngine('wasm');
  const ds = resolveDataset('8gaussians');
  const stepWith = async (extra: Record<string, unknown>) => {
    const { config } = tinyConfig({ noise: 0.3, ...extra });
    const tr = new Trainer(config, ds, await deriveSetup(config, ds));
    const s = await tr.step();
    tr.dispose();
    return s.loss;
  };
  const noisy = await stepWith({});
  const silent = await stepWith({ noise: 0 });
  assert.equal(await stepWith({ trainQuietSteps: 0 }), noisy);
  assert.equal(await stepWith({ trainQuietSteps: 4 }), silent);
  assert.equal(await stepWith({ trainQuietSteps: 9 }), silent, 'more quiet steps than K: all quiet');
  const lastQuiet = await stepWith({ trainQuietSteps: 1 });
  assert.ok(lastQuiet !== noisy && lastQuiet !== silent, `one quiet step ${lastQuiet} vs ${noisy} / ${silent}`);
  assert.throws(() => tinyConfig({ trainQuietSteps: -1 }), /trainQuietSteps/);
});

/** 8gaussians whose training batches from the 7th on (deriveSetup's fit draws one batch first) are changed by `alter`. */
function turningAt7(name: string, alter: (x: Float32Array) => void): PointDataset {
  const base = resolveDataset('8gaussians');
  let calls = 0;
  return {
    name,
    dim: 2,
    sample(n, rng) {
      const x = base.sample(n, rng);
      if (++calls > 7) alter(x);
      return x;
    },
  };
}

test('NaN in the loss stops training and keeps the last good checkpoint', async () => {
  await initEngine('wasm');
  const { config, explicitKeys } = tinyConfig();
  const poisoned = turningAt7('poisoned', (x) => (x[0] = Number.NaN));
  const dir = path.join(tempDir('nan'), 'run');
  const events: string[] = [];
  const r = await trainRun({ dir, config, explicitKeys, dataset: poisoned, onEvent: (e) => events.push(e.type) });
  assert.equal(r.status, 'diverged');
  assert.equal(r.iteration, 6);
  assert.ok(events.includes('diverged'));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')), ['iter-0000004.ckpt']);
  const c = readCheckpoint(path.join(dir, 'checkpoints', 'iter-0000004.ckpt'));
  assert.ok(c.tensors.every((t) => t.values.every(Number.isFinite)));
});

test('a finite blow-up (data 10⁸× larger from the 7th batch) stops training before the update, keeping the last good checkpoint', async () => {
  await initEngine('wasm');
  const { config, explicitKeys } = tinyConfig();
  const jumping = turningAt7('jumping', (x) => x.forEach((v, i) => (x[i] = v * 1e8)));
  const dir = path.join(tempDir('explode'), 'run');
  const events: TrainEvent[] = [];
  const r = await trainRun({ dir, config, explicitKeys, dataset: jumping, onEvent: (e) => events.push(e) });
  assert.equal(r.status, 'diverged');
  assert.equal(r.iteration, 6, 'the 7th step was not applied');
  const d = events.find((e) => e.type === 'diverged');
  assert.ok(d && d.type === 'diverged');
  assert.match(d.reason, /jumped to .*× its running median .* at iteration 7$/);
  assert.equal(d.keptCheckpoint, path.join(dir, 'checkpoints', 'iter-0000004.ckpt'));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')), ['iter-0000004.ckpt']);
  assert.ok(readCheckpoint(d.keptCheckpoint!).tensors.every((t) => t.values.every((v) => Number.isFinite(v) && Math.abs(v) < 100)));
});

test('config resolution: preset → config file (its preset too) → options; CSV paths stored absolute', () => {
  const dir = tempDir('cfg');
  const file = path.join(dir, 'c.json');
  fs.writeFileSync(file, JSON.stringify({ preset: 'paper-toy', eta: 0.5, data: 'moons' }));
  const { config, explicitKeys } = resolveConfig({ configFile: file, overrides: { batch: 64 }, defaults: {} });
  assert.equal(config.preset, 'paper-toy');
  assert.equal(config.loss, 'lsif'); // from the preset named in the file
  assert.equal(config.eta, 0.5); // from the file
  assert.equal(config.batch, 64); // from the options
  assert.equal(config.flowSteps, 200);
  assert.ok(explicitKeys.includes('eta') && explicitKeys.includes('batch') && !explicitKeys.includes('flowSteps'));
  const csv = path.join(dir, 'p.csv');
  fs.writeFileSync(csv, '1,2\n3,4\n');
  const rel = path.relative(process.cwd(), csv);
  assert.equal(resolveConfig({ overrides: { data: rel }, defaults: {} }).config.data, csv);
  assert.throws(() => resolveConfig({ overrides: {}, defaults: {} }), /--data is required/);
});

test('stall warning: said once, after the KL estimate stays above the threshold for 3 logs', () => {
  const watch = stallDetector();
  const log = (kl: number) => watch({ iteration: 0, loss: 0, lr: 1e-3, gradNorm: 1, klEstimate: kl });
  assert.equal(log(0.02), null);
  assert.equal(log(5), null);
  assert.equal(log(0.1), null); // the run is broken by a normal value
  assert.equal(log(3), null);
  assert.equal(log(4), null);
  assert.match(log(14.5) ?? '', /KL estimate has stayed above 1 \(now 14\.50\).*--lr/);
  assert.equal(log(20), null, 'only once');
  // ratio nets (no KL estimate) are not watched
  assert.equal(stallDetector()({ iteration: 0, loss: 0, lr: 1, gradNorm: 1, chi2Estimate: 50 }), null);
});
