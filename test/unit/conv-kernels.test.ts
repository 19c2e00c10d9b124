/**
 * Randomized parity of our wasm replacement kernels (src/engine/kernels/) against the cpu
 * backend: Conv2D forward, Conv2DBackpropInput, Conv2DBackpropFilter (both of its paths),
 * AvgPoolGrad, Sum over leading axes, and the parameter gradients of a tiny conv net.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../helpers/engine.js';
import { compareBackends, convCases, convRun, type ConvCase } from '../helpers/parity.js';
import { Rng } from '../../src/util/rng.js';
import { initEngine } from '../../src/engine/index.js';
import { forceConv2DBackpropFilterPath } from '../../src/engine/kernels/conv2d-backprop-filter.js';

const compare = (name: string, run: () => tf.Tensor[], tol = 1e-4): Promise<void> => compareBackends(name, run, { backend: 'wasm', tol });

test('our kernels are the ones registered on wasm', async () => {
  await initEngine('wasm');
  for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'AvgPoolGrad', 'Sum']) {
    assert.ok((tf.getKernel(k, 'wasm') as { dggf?: boolean } | undefined)?.dggf, k);
  }
});

for (const path of [undefined, 'im2col', 'swap'] as const) {
  test(`Conv2D forward, input and filter gradients (${path ?? 'auto'} filter path) on wasm match cpu: strides 1–3, same/valid, 1×1/3×3/4×4`, async () => {
    const rng = new Rng(11);
    forceConv2DBackpropFilterPath(path);
    try {
      for (const c of convCases(rng)) await compare(`${JSON.stringify(c)} ${path ?? 'auto'}`, convRun(c, rng));
    } finally {
      forceConv2DBackpropFilterPath(undefined);
    }
  });
}

test('conv gradients with explicit numeric padding and with both channel extremes', async () => {
  const rng = new Rng(12);
  const cases: ConvCase[] = [
    { batch: 3, size: 9, cin: 3, cout: 16, kernel: 3, stride: 2, pad: 1 },
    { batch: 2, size: 7, cin: 16, cout: 3, kernel: 4, stride: 3, pad: 2 },
    // (the cpu reference is slow on 28×28: small batches)
    { batch: 3, size: 28, cin: 1, cout: 16, kernel: 3, stride: 1, pad: 'same' }, // first layer: im2col path
    { batch: 2, size: 28, cin: 16, cout: 8, kernel: 4, stride: 2, pad: 'same' }, // swap path
    { batch: 3, size: 9, cin: 16, cout: 1, kernel: 1, stride: 2, pad: 'valid' },
    { batch: 1, size: 28, cin: 3, cout: 3, kernel: 4, stride: 3, pad: 'valid' },
  ];
  for (const c of cases) await compare(JSON.stringify(c), convRun(c, rng));
});

test('Conv2DBackpropFilter in NCHW layout (the kernel directly) matches cpu', async () => {
  const rng = new Rng(13);
  for (const [stride, pad] of [
    [2, 'same'],
    [3, 'valid'],
    [1, 'same'],
  ] as const) {
    const [b, cin, cout, h, k] = [3, 4, 5, 9, 3];
    const out = pad === 'same' ? Math.ceil(h / stride) : Math.floor((h - k) / stride) + 1;
    const xv = rng.normalArray(b * cin * h * h);
    const dyv = rng.normalArray(b * cout * out * out);
    await compare(`NCHW stride ${stride} ${pad}`, () => {
      const x = tf.tensor4d(xv, [b, cin, h, h]);
      const dy = tf.tensor4d(dyv, [b, cout, out, out]);
      const dw = tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        { strides: stride, pad, dataFormat: 'NCHW', filterShape: [k, k, cin, cout] } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor;
      tf.dispose([x, dy]);
      return [dw];
    });
  }
});

test('conv2dTranspose (Conv2DBackpropInput directly) matches cpu', async () => {
  const rng = new Rng(14);
  for (const [stride, pad, k, size] of [
    [2, 'same', 4, 14],
    [3, 'valid', 3, 9],
    [2, 'valid', 1, 7],
    [1, 'same', 4, 7],
  ] as const) {
    const [b, cin, cout] = [3, 3, 16];
    const out = pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1;
    const dyv = rng.normalArray(b * out * out * cout);
    const wv = rng.normalArray(k * k * cin * cout);
    await compare(`conv2dTranspose stride ${stride} ${pad} k${k}`, () =>
      tf.tidy(() => [
        tf.conv2dTranspose(tf.tensor4d(dyv, [b, out, out, cout]), tf.tensor4d(wv, [k, k, cin, cout]), [b, size, size, cin], stride, pad),
      ]),
    );
  }
});

test('AvgPoolGrad on wasm matches cpu (tiling, non-overlapping and overlapping windows)', async () => {
  const rng = new Rng(15);
  const cases: { size: number; filter: number; stride: number; pad: 'same' | 'valid' }[] = [
    { size: 28, filter: 2, stride: 2, pad: 'valid' }, // tiles exactly
    { size: 7, filter: 2, stride: 2, pad: 'valid' }, // tiles + zero row/column
    { size: 7, filter: 2, stride: 2, pad: 'same' }, // non-overlapping, padded
    { size: 9, filter: 2, stride: 3, pad: 'valid' }, // gaps between windows
    { size: 9, filter: 3, stride: 2, pad: 'same' }, // overlapping
    { size: 7, filter: 3, stride: 1, pad: 'valid' },
  ];
  for (const c of cases) {
    const [b, ch] = [3, 5];
    const xv = rng.normalArray(b * c.size * c.size * ch);
    const out = c.pad === 'same' ? Math.ceil(c.size / c.stride) : Math.floor((c.size - c.filter) / c.stride) + 1;
    const rv = rng.normalArray(b * out * out * ch);
    await compare(`avgPool ${JSON.stringify(c)}`, () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [b, c.size, c.size, ch]);
        const r = tf.tensor4d(rv, [b, out, out, ch]);
        const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, c.filter, c.stride, c.pad), r));
        return [tf.avgPool(x, c.filter, c.stride, c.pad), tf.grad(f)(x)];
      }),
    );
  }
});

test('Sum on wasm matches cpu (leading axes: ours; other axes and dtypes: stock)', async () => {
  const rng = new Rng(16);
  const xv = rng.normalArray(4 * 5 * 6 * 7);
  const iv = Int32Array.from(rng.uniformArray(4 * 5 * 6 * 7, -50, 50), Math.round);
  const axesList: (number | number[])[] = [0, [0, 1], [0, 1, 2], [1, 2], 3, [0, 2], [0, 1, 2, 3]];
  await compare('sum', () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xv, [4, 5, 6, 7]);
      const xi = tf.tensor4d(iv, [4, 5, 6, 7], 'int32');
      const out: tf.Tensor[] = [];
      for (const axes of axesList) {
        out.push(tf.sum(x, axes), tf.sum(x, axes, true), tf.cast(tf.sum(xi, axes), 'float32'));
      }
      out.push(tf.sum(tf.tensor2d(xv, [120, 7]), 0));
      return out;
    }),
  );
});

test('parameter gradients of a tiny conv net (bias, LeakyReLU, avg pool, mean, dense) agree between wasm and cpu', async () => {
  const rng = new Rng(17);
  const shapes = [
    [3, 3, 1, 8],
    [8],
    [4, 4, 8, 16],
    [16],
    [1, 1, 8, 16],
    [16],
    [16, 1],
    [1],
  ];
  const init = shapes.map((s) => rng.normalArray(s.reduce((a, b) => a * b, 1)).map((v) => v * 0.3));
  const xv = rng.normalArray(6 * 15 * 15);
  await compare(
    'tiny conv net',
    () =>
      tf.tidy(() => {
        const ws = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s), true));
        const x = tf.tensor4d(xv, [6, 15, 15, 1]);
        const leaky = (t: tf.Tensor) => tf.mul(t, tf.step(t, 0.2));
        const { value, grads } = tf.variableGrads(() => {
          const h1 = leaky(tf.add(tf.conv2d(x, ws[0] as tf.Tensor4D, 1, 'same'), ws[1])) as tf.Tensor4D;
          const h2 = leaky(tf.add(tf.conv2d(h1, ws[2] as tf.Tensor4D, 2, 'same'), ws[3])) as tf.Tensor4D;
          const skip = tf.avgPool(tf.add(tf.conv2d(h1, ws[4] as tf.Tensor4D, 1, 'valid'), ws[5]) as tf.Tensor4D, 2, 2, 'same');
          const h = tf.mean(tf.add(h2, skip), [1, 2]) as tf.Tensor2D;
          const f = tf.add(tf.matMul(h, ws[6] as tf.Tensor2D), ws[7]);
          return tf.mean(tf.softplus(tf.neg(f))) as tf.Scalar;
        }, ws);
        const out = [value, ...ws.map((w) => grads[w.name])];
        tf.dispose(ws);
        return out;
      }),
    1e-4,
  );
});

test('the replacement kernels free their temporaries', async () => {
  await initEngine('wasm');
  const backend = tf.engine().backend as unknown as { numDataIds(): number };
  const x = tf.randomNormal([4, 9, 9, 3]) as tf.Tensor4D;
  const w = tf.randomNormal([4, 4, 3, 8]) as tf.Tensor4D;
  const w1 = tf.randomNormal([3, 3, 3, 1]) as tf.Tensor4D;
  const run = () =>
    tf.tidy(() => {
      for (const [ww, s, p] of [
        [w, 2, 'same'],
        [w, 3, 'valid'],
        [w1, 1, 'same'],
      ] as const) {
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, p)))([x, ww]);
      }
      tf.grad((a: tf.Tensor) => tf.sum(tf.avgPool(a as tf.Tensor4D, 2, 2, 'valid')))(x);
      tf.grad((a: tf.Tensor) => tf.sum(tf.avgPool(a as tf.Tensor4D, 3, 2, 'same')))(x);
      tf.sum(x, [0, 1, 2]);
    });
  run();
  const before = tf.memory().numTensors;
  const beforeData = backend.numDataIds();
  for (let i = 0; i < 3; i++) run();
  assert.equal(tf.memory().numTensors, before);
  assert.equal(backend.numDataIds(), beforeData);
  tf.dispose([x, w, w1]);
});
