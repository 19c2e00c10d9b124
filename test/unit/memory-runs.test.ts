/**
 * Runs trained from data held in memory (issue 21): resolveConfig takes the dataset itself and
 * records it as `memory:NAME`; every command that does not need the data works on such a run,
 * and those that do say in one line what is missing. Samples carry their shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { finiteDataset, makeImageDataset, writeCsvPoints } from '../../src/data/index.js';
import { deriveSetup } from '../../src/train/trainer.js';
import { FlowModel } from '../../src/flow/model.js';
import { trainRun } from '../../src/train/run.js';
import { writeRunReport } from '../../src/report/run-report.js';
import { Rng } from '../../src/util/rng.js';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';

/** n points near the unit circle (2-D, row-major). */
function ring(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = 2 * Math.PI * rng.uniform();
    const r = 1 + 0.05 * rng.normal();
    out[2 * i] = r * Math.cos(a);
    out[2 * i + 1] = r * Math.sin(a);
  }
  return out;
}

function tinyImages(count: number, channels: 1 | 3): ReturnType<typeof makeImageDataset> {
  const rng = new Rng(4);
  const image = { height: 8, width: 8, channels };
  const pixels = new Uint8Array(count * 8 * 8 * channels).map(() => rng.int(256));
  return makeImageDataset({ name: 'tiny', image, train: { count, pixels }, flip: false });
}

const TINY_CNN = { type: 'cnn', channels: [4, 6], activation: 'leaky_relu', head: 'flatten', headHidden: [8] } as const;

test('resolveConfig: a dataset given in memory needs no data spec; the run records it as memory:NAME, not a preset dataset', () => {
  const points = finiteDataset('my-points', ring(200, 1), 2);
  assert.equal(resolveConfig({ preset: 'toy', overrides: {}, defaults: {}, dataset: points }).config.data, 'memory:my-points');
  // an image preset names its own dataset (emoji): images from memory are not recorded as it
  const images = tinyImages(20, 3);
  assert.equal(resolveConfig({ preset: 'emoji-cpu', overrides: {}, defaults: {}, dataset: images }).config.data, 'memory:tiny');
  // a spec given with it names the data (e.g. the file the arrays came from)
  assert.equal(resolveConfig({ preset: 'toy', overrides: { data: 'moons' }, defaults: {}, dataset: points }).config.data, 'moons');
  // neither: the error is the one it was
  assert.throws(() => resolveConfig({ preset: 'toy', overrides: {}, defaults: {} }), /--data is required to start a new run/);
});

test('samples carry their shape: [n, dim] for points, [n, height, width, channels] for images', async () => {
  await initEngine('cpu');
  const points = finiteDataset('my-points', ring(200, 2), 2);
  const { config } = resolveConfig({ preset: 'toy', overrides: { net: { hidden: 16, depth: 1 } }, defaults: {}, dataset: points });
  const model = new FlowModel(config, await deriveSetup(config, points), new Rng(5));
  try {
    const s = await model.sample(7, { seed: 1, steps: 3 });
    assert.deepEqual(s.shape, [7, 2]);
    const b = await model.sampleInBatches(9, { seed: 1, steps: 3, batch: 4 });
    assert.deepEqual(b.shape, [9, 2]);
    assert.equal(b.samples.length, 18);
    const f = await model.flowFrom(ring(3, 3), 3, { seed: 1, steps: 2 });
    assert.deepEqual(f.shape, [3, 2]);
  } finally {
    model.dispose();
  }
  const images = tinyImages(20, 1);
  const imageConfig = resolveConfig({ preset: 'mnist-cpu', overrides: { net: TINY_CNN }, defaults: {}, dataset: images }).config;
  const imageModel = new FlowModel(imageConfig, await deriveSetup(imageConfig, images), new Rng(6));
  try {
    const s = await imageModel.sample(2, { seed: 1, steps: 2 });
    assert.deepEqual(s.shape, [2, 8, 8, 1]);
    assert.equal(s.samples.length, s.shape.reduce((a, v) => a * v, 1));
  } finally {
    imageModel.dispose();
  }
});

test('a run trained from memory: sample (CSV, --png, --gif), export and the report work; eval and train say in one line that the data is missing', async () => {
  await initEngine('cpu');
  const dir = tempDir('memory-run');
  const run = path.join(dir, 'run');
  const points = finiteDataset('my-points', ring(500, 7), 2);
  const { config, explicitKeys } = resolveConfig({
    preset: 'toy',
    overrides: { iterations: 12, checkpointEvery: 12, logEvery: 4, net: { hidden: 16, depth: 1 }, flowSteps: 5 },
    defaults: {},
    dataset: points,
  });
  const trained = await trainRun({ dir: run, config, explicitKeys, dataset: points });
  assert.equal(trained.status, 'done');
  assert.equal(trained.stored.config.data, 'memory:my-points');

  const csv = path.join(dir, 'samples.csv');
  const sample = runCli(['sample', '--run', run, '--out', csv, '--n', '40', '--backend', 'cpu']);
  assert.equal(sample.code, 0, sample.stderr);
  assert.equal(fs.readFileSync(csv, 'utf8').trim().split('\n').length, 41);

  const png = path.join(dir, 'samples.png');
  const gif = path.join(dir, 'flow.gif');
  const pictures = runCli(['sample', '--run', run, '--out', path.join(dir, 's2.csv'), '--n', '40', '--png', png, '--gif', gif, '--backend', 'cpu']);
  assert.equal(pictures.code, 0, pictures.stderr);
  assert.deepEqual([...fs.readFileSync(png).subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.equal(fs.readFileSync(gif).subarray(0, 3).toString(), 'GIF');
  assert.match(pictures.stderr, /drawn without the data: the run was trained on data given in memory \(my-points\)/);

  const exported = runCli(['export', '--run', run, '--out', path.join(dir, 'export'), '--format', 'onnx', '--backend', 'cpu']);
  assert.equal(exported.code, 0, exported.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'export', 'manifest.json')));

  // eval needs data to compare with: one line naming what is missing and what to give
  const evalNoData = runCli(['eval', '--run', run, '--backend', 'cpu']);
  assert.equal(evalNoData.code, 2, evalNoData.stderr);
  assert.equal(errorLines(evalNoData.stderr).length, 1, evalNoData.stderr);
  assert.match(evalNoData.stderr, /my-points.*given in memory.*not stored with the run.*--data/);
  // ... and with the data given again, it evaluates
  const file = path.join(dir, 'points.csv');
  writeCsvPoints(file, ring(500, 8), 2);
  const evalData = runCli(['eval', '--run', run, '--data', file, '--n', '200', '--backend', 'cpu']);
  assert.equal(evalData.code, 0, evalData.stderr);
  assert.ok(Number.isFinite(JSON.parse(evalData.stdout).mmd));

  // resuming needs the data too
  const resume = runCli(['train', '--out', run, '--iterations', '20', '--backend', 'cpu']);
  assert.equal(resume.code, 2, resume.stderr);
  assert.equal(errorLines(resume.stderr).length, 1, resume.stderr);
  assert.match(resume.stderr, /my-points.*given in memory/);

  // ... the library resumes it with the same arrays
  const more = resolveConfig({ preset: 'toy', overrides: { iterations: 16 }, defaults: {}, dataset: points });
  const resumed = await trainRun({ dir: run, config: more.config, explicitKeys: more.explicitKeys, dataset: points });
  assert.equal(resumed.status, 'done');
  assert.equal(resumed.iteration, 16);

  // the report takes the dataset from the caller
  const report = await writeRunReport(run, points, { n: 300 });
  assert.ok(fs.existsSync(report.file));
  assert.ok(Number.isFinite(report.evaluation.mmd));
});
