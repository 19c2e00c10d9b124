import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, maxAbsDiff, maxAbs, tf } from '../helpers/engine.js';
import { Rng } from '../../src/util/rng.js';
import { initEngine, activeBackend, EngineError } from '../../src/engine/index.js';

function randomArray(n: number, rng: Rng): Float32Array {
  return rng.normalArray(n);
}

const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [7, 5], b: [3, 5], ta: false, tb: true },
  { a: [5, 7], b: [5, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 5], ta: true, tb: true },
  { a: [64, 33], b: [17, 33], ta: false, tb: true },
  { a: [256, 64], b: [256, 1], ta: true, tb: false },
  { a: [1, 64], b: [64, 64], ta: false, tb: false },
  { a: [3, 9, 4], b: [3, 6, 4], ta: false, tb: true },
  { a: [2, 4, 9], b: [2, 4, 6], ta: true, tb: false },
  { a: [2, 4, 9], b: [2, 6, 4], ta: true, tb: true },
];

test('wasm BatchMatMul with transposes (our kernel) matches the cpu backend', async () => {
  const rng = new Rng(42);
  for (const c of CASES) {
    const av = randomArray(c.a.reduce((p, v) => p * v, 1), rng);
    const bv = randomArray(c.b.reduce((p, v) => p * v, 1), rng);
    const run = () => {
      const a = tf.tensor(av, c.a);
      const b = tf.tensor(bv, c.b);
      const out = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, c.ta, c.tb);
      const r = { shape: out.shape, values: out.dataSync().slice() };
      tf.dispose([a, b, out]);
      return r;
    };
    const ref = await onBackend('cpu', run);
    const got = await onBackend('wasm', run);
    assert.deepEqual(got.shape, ref.shape, `shape for ${JSON.stringify(c)}`);
    const err = maxAbsDiff(got.values, ref.values);
    assert.ok(err <= 1e-4 * Math.max(1, maxAbs(ref.values)), `max error ${err} for ${JSON.stringify(c)}`);
  }
});

test('the replacement kernel leaks no tensors and keeps the plain path', async () => {
  await initEngine('wasm');
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const before = tf.memory().numTensors;
  const beforeData = backend.numDataIds();
  const x = tf.randomNormal([32, 16]);
  const w = tf.randomNormal([8, 16]);
  for (let i = 0; i < 5; i++) {
    tf.tidy(() => {
      tf.matMul(x, w, false, true);
      tf.matMul(w, x, false, true);
      tf.matMul(x, x, true, false);
    });
  }
  tf.dispose([x, w]);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(backend.numDataIds(), beforeData, 'temporary transposes are freed in the backend');
  assert.equal(activeBackend(), 'wasm');
});

test('gradients of a dense layer (transposed matmuls) agree between wasm and cpu', async () => {
  const rng = new Rng(3);
  const xv = randomArray(40 * 6, rng);
  const wv = randomArray(6 * 5, rng);
  const run = () => {
    const x = tf.tensor2d(xv, [40, 6]);
    const w = tf.tensor2d(wv, [6, 5]);
    const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D))))([x, w]);
    const r = g.map((t) => t.dataSync().slice());
    tf.dispose([x, w, ...g]);
    return r;
  };
  const ref = await onBackend('cpu', run);
  const got = await onBackend('wasm', run);
  for (let i = 0; i < ref.length; i++) {
    assert.ok(maxAbsDiff(got[i], ref[i]) <= 1e-3 * Math.max(1, maxAbs(ref[i])), `gradient ${i}`);
  }
});

test('an unknown backend is a clear error', async () => {
  await assert.rejects(() => initEngine('tpu'), (e: unknown) => e instanceof EngineError && /unknown backend 'tpu'/.test((e as Error).message));
});
