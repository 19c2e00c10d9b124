/**
 * The TF.js engine's particle-parallel flow (src/engine/tfjs/parallel/): worker threads must reproduce the
 * single-thread flow exactly (same chunked noise, same arithmetic), in training too, without
 * leaking tensors or keeping the process alive.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError, engineInfo, initEngine, tf } from '../../src/engine/index.js';
import { createMlp } from '../../src/nets/mlp.js';
import { createRatioNet } from '../../src/nets/ratio-net.js';
import { FlowNoise, NOISE_CHUNK_ROWS, ratioTerm, runFlow, type FlowTerm } from '../../src/flow/index.js';
import { flowWorkerCount, gradientBlocksInWorkers, setParallelMinRows, stopFlowWorkers } from '../../src/engine/tfjs/parallel/pool.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { resolveDataset } from '../../src/data/index.js';
import { makeImageDataset } from '../../src/data/images/index.js';
import { gradientBlocks } from '../../src/engine/tfjs/block-gradients.js';
import { Trainer, deriveSetup } from '../../src/train/trainer.js';
import { readParams } from '../../src/nets/params.js';
import { Rng } from '../../src/util/rng.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

after(async () => {
  setParallelMinRows();
  await stopFlowWorkers();
});

function flowWith(threads: number, x0: tf.Tensor2D, terms: FlowTerm[], trajectoryEvery?: number) {
  return initEngine('wasm', { threads, engine: 'tfjs' }).then(async () => {
    const r = await runFlow(x0, terms, { steps: 12, eta: 0.05, noise: 0.1 }, new FlowNoise(77), { trajectoryEvery });
    const x = r.x.dataSync().slice() as Float32Array;
    r.x.dispose();
    return { x, trajectory: r.trajectory };
  });
}

test('the chunked noise does not depend on how rows are split', () => {
  const noise = new FlowNoise(5);
  const whole = noise.stepper(0, 300, 3);
  const head = noise.stepper(0, 128, 3);
  const tail = noise.stepper(128, 172, 3);
  for (let k = 0; k < 3; k++) {
    const w = whole().slice();
    assert.deepEqual(Array.from(w.subarray(0, 128 * 3)), Array.from(head()));
    assert.deepEqual(Array.from(w.subarray(128 * 3)), Array.from(tail()));
  }
  assert.throws(() => noise.stepper(100, 10, 3), RangeError);
});

test('parallel flows equal the single-thread flow bit for bit (1, 2 and 3 threads)', async () => {
  await initEngine('wasm', { engine: 'tfjs' });
  setParallelMinRows(1); // split whatever can be split, to test small and ragged batches
  const rng = new Rng(3);
  const nets = [
    { net: createMlp({ inputDim: 2, hidden: 32, depth: 2, activation: 'leaky_relu' }, rng), div: 'chi2', output: 'ratio' },
    { net: createMlp({ inputDim: 3, hidden: 16, depth: 1, activation: 'silu' }, rng), div: 'kl', output: 'log-ratio' },
  ] as const;
  for (const { net, div, output } of nets) {
    const dim = net.spec.inputDim;
    for (const n of [1, 100, NOISE_CHUNK_ROWS, NOISE_CHUNK_ROWS + 1, 300, 1000]) {
      const x0 = tf.tensor2d(rng.normalArray(n * dim), [n, dim]);
      // an EMA-like weight set and a term weight ≠ 1, as sampling uses
      const terms = [ratioTerm(net, div, output, undefined, 0.7)];
      const one = await flowWith(1, x0, terms, 5);
      for (const threads of [2, 3]) {
        const many = await flowWith(threads, x0, terms, 5);
        assert.deepEqual(many.x, one.x, `${net.spec.activation} n=${n} threads=${threads}`);
        assert.deepEqual(many.trajectory!.map((t) => t.step), one.trajectory!.map((t) => t.step));
        many.trajectory!.forEach((t, i) => assert.deepEqual(t.points, one.trajectory![i].points, `snapshot ${t.step}`));
      }
      x0.dispose();
    }
    net.dispose();
  }
  assert.ok(flowWorkerCount() >= 2, 'the 3-thread runs started two workers');
  setParallelMinRows();
});

test('terms without a portable form stay on the main thread', async () => {
  await initEngine('wasm', { threads: 2, engine: 'tfjs' });
  setParallelMinRows(1);
  const quad: FlowTerm = { kind: 'potential', potential: (x) => tf.mul(0.5, tf.sum(tf.square(x), 1)), weight: 1, label: '½‖x‖²' };
  const x0 = tf.tensor2d(new Rng(1).normalArray(600), [300, 2]);
  const r = await runFlow(x0, [quad], { steps: 3, eta: 0.5, noise: 0 }, new FlowNoise(1));
  const got = r.x.dataSync();
  const want = x0.dataSync();
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i] * 0.125) < 1e-6);
  tf.dispose([x0, r.x]);
  setParallelMinRows();
});

function trainWeights(threads: number, iterations: number) {
  return initEngine('wasm', { threads, engine: 'tfjs' }).then(async () => {
    const { config } = resolveConfig({
      overrides: { data: '8gaussians', flowSteps: 5, batch: 600, net: { hidden: 16, depth: 1 } },
      defaults: {},
    });
    const ds = resolveDataset('8gaussians');
    const tr = new Trainer(config, ds, await deriveSetup(config, ds));
    await tr.step();
    const tensors = tf.memory().numTensors;
    for (let i = 1; i < iterations; i++) {
      await tr.step();
      assert.equal(tf.memory().numTensors, tensors, `threads=${threads}: tensors after iteration ${tr.iteration}`);
    }
    await tr.model.sample(700, { seed: 3 });
    assert.equal(tf.memory().numTensors, tensors, `threads=${threads}: tensors after sampling`);
    const out = { params: await readParams([...tr.model.net.params, ...tr.model.ema.params]), rng: tr.rng.state() };
    const samples = await tr.model.sample(520, { seed: 5, trajectoryEvery: 2 });
    tr.dispose();
    return { ...out, samples };
  });
}

test('the thread count does not change training or sampling, and no tensors leak', async () => {
  const one = await trainWeights(1, 5);
  const two = await trainWeights(2, 5);
  assert.ok(flowWorkerCount() >= 1);
  assert.deepEqual(two.rng, one.rng);
  two.params.forEach((p, i) => assert.deepEqual(p.values, one.params[i].values, p.name));
  assert.deepEqual(two.samples.samples, one.samples.samples);
  assert.deepEqual(two.samples.trajectory, one.samples.trajectory);
});

test('conv ratio nets flow in workers too, from two noise chunks up: same result as one thread', async () => {
  setParallelMinRows(); // the default: MLP batches below it stay whole, conv ("heavy") terms split anyway
  const image = { height: 8, width: 8, channels: 1 as const };
  const rng = new Rng(9);
  const net = createRatioNet({ type: 'cnn', image, channels: [4, 6], activation: 'leaky_relu' }, rng);
  const n = 40;
  const x0 = tf.tensor2d(rng.normalArray(n * 64), [n, 64]);
  const run = async (threads: number) => {
    await initEngine('wasm', { threads, engine: 'tfjs' });
    const r = await runFlow(x0, [ratioTerm(net, 'kl', 'log-ratio')], { steps: 4, eta: 0.5, noise: 0.05 }, new FlowNoise(3, 16), {
      trajectoryEvery: 2,
    });
    const x = r.x.dataSync().slice() as Float32Array;
    r.x.dispose();
    return { x, trajectory: r.trajectory };
  };
  const one = await run(1);
  const two = await run(2);
  assert.ok(flowWorkerCount() >= 1, 'a worker ran');
  assert.deepEqual(two.x, one.x);
  two.trajectory!.forEach((t, i) => assert.deepEqual(t.points, one.trajectory![i].points, `snapshot ${t.step}`));
  x0.dispose();
  net.dispose();
});

test('conv training steps share their gradient blocks with workers: same weights as one thread, no leaks', async () => {
  const image = { height: 8, width: 8, channels: 1 as const };
  const rng = new Rng(31);
  const pixels = new Uint8Array(50 * 64).map(() => rng.int(256));
  const ds = makeImageDataset({ name: 'tiny-gray', image, train: { count: 50, pixels }, flip: false });
  const { config } = resolveConfig({
    preset: 'mnist-cpu',
    overrides: { data: 'tiny-gray', batch: 12, flowSteps: 2, instanceNoise: 0.1, net: { channels: [4, 6], headHidden: [5] } },
    defaults: {},
  });
  const train = async (threads: number) => {
    await initEngine('wasm', { threads, engine: 'tfjs' });
    const tr = new Trainer(config, ds, await deriveSetup(config, ds));
    const stats = [await tr.step()];
    const tensors = tf.memory().numTensors;
    for (let i = 1; i < 4; i++) {
      stats.push(await tr.step());
      assert.equal(tf.memory().numTensors, tensors, `threads=${threads}: tensors after iteration ${tr.iteration}`);
    }
    const params = await readParams([...tr.model.net.params, ...tr.model.ema.params]);
    tr.dispose();
    return { stats, params };
  };
  // a conv net's batch is cut in two blocks whatever the thread count (MLPs stay whole)
  assert.deepEqual(gradientBlocks(12, { spec: { type: 'cnn', image, channels: [4], activation: 'silu' } }), [[0, 6], [6, 12]]);
  assert.deepEqual(gradientBlocks(10, { spec: { type: 'cnn', image, channels: [4], activation: 'silu' }, maxRows: 3 }).map(([a, b]: [number, number]) => b - a), [3, 3, 3, 1]);
  assert.deepEqual(gradientBlocks(600, { spec: { inputDim: 2, hidden: 8, depth: 1, activation: 'silu' } }), [[0, 600]]);
  const one = await train(1);
  const before = gradientBlocksInWorkers();
  const two = await train(2);
  assert.equal(gradientBlocksInWorkers() - before, 4, 'one block of each of the 4 steps ran in a worker');
  assert.deepEqual(two.stats, one.stats);
  two.params.forEach((p, i) => assert.deepEqual(p.values, one.params[i].values, p.name));
});

test('workers stop on request, restart on demand, and never keep a process alive', async () => {
  await initEngine('wasm', { threads: 2, engine: 'tfjs' });
  setParallelMinRows(1);
  const net = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation: 'relu' }, new Rng(1));
  const x0 = tf.tensor2d(new Rng(2).normalArray(512), [256, 2]);
  const flow = async () => {
    const r = await runFlow(x0, [ratioTerm(net, 'chi2', 'ratio')], { steps: 3, eta: 0.1, noise: 0.1 }, new FlowNoise(4));
    const v = r.x.dataSync().slice();
    r.x.dispose();
    return v;
  };
  const a = await flow();
  assert.ok(flowWorkerCount() >= 1);
  await stopFlowWorkers();
  assert.equal(flowWorkerCount(), 0);
  assert.deepEqual(await flow(), a);
  assert.equal(flowWorkerCount(), 1);
  tf.dispose([x0]);
  net.dispose();
  setParallelMinRows();

  // a script that runs a parallel flow and then just returns: its process must end by itself
  const script = path.join(HERE, '..', 'helpers', 'parallel-flow-exit.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: path.join(HERE, '..', '..'),
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DGGF_THREADS: '2' },
  });
  assert.equal(r.status, 0, `exit ${r.status} signal ${r.signal}: ${r.stderr}`);
  assert.match(r.stdout, /flowed 512 rows with 1 worker/);
});

test('engineInfo reports the flow threads; DGGF_THREADS and the option are checked', async () => {
  await initEngine('wasm', { threads: 2, engine: 'tfjs' });
  let info = await engineInfo();
  assert.equal(info.threads, 2);
  assert.equal(info.flowWorkers, 1);
  await initEngine('wasm', { threads: 1, engine: 'tfjs' });
  info = await engineInfo();
  assert.equal(info.threads, 1);
  assert.equal(info.flowWorkers, 0);
  await assert.rejects(initEngine('wasm', { threads: 0, engine: 'tfjs' }), EngineError);
  const saved = process.env.DGGF_THREADS;
  process.env.DGGF_THREADS = 'two';
  try {
    await assert.rejects(initEngine('wasm', { engine: 'tfjs' }), /DGGF_THREADS/);
  } finally {
    if (saved === undefined) delete process.env.DGGF_THREADS;
    else process.env.DGGF_THREADS = saved;
  }
});
