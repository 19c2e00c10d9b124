/**
 * The ONNX Runtime engine's differentiable ops (src/engine/ort/ops.ts): every backward pass
 * against central differences of the op's own forward graph, for random inputs and a random
 * cotangent: L = Σ c ⊙ op(inputs). Convolutions over strides 1–3, kernels 1–4, odd sizes,
 * 1 and many channels, with kernels fed (ConvTranspose input gradient) and baked (the sub-pixel
 * Conv form); with PyTorch's symmetric padding and without a bias (the authors' nets); pooling
 * on odd sizes; broadcasting sums; Gemm and batched MatMul in every transposition; softmax;
 * the self-attention block built from them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { initEngine } from '../../src/engine/index.js';
import { Graph, type Value } from '../../src/engine/ort/graph.js';
import * as op from '../../src/engine/ort/ops.js';
import { createSession, floatTensor } from '../../src/engine/ort/runtime.js';
import { Rng } from '../../src/util/rng.js';
import { ortOps } from '../../src/engine/ort/tensor-ops.js';
import { SlotList } from '../../src/nets/layout.js';
import { attentionSlots, selfAttention } from '../../src/nets/self-attention.js';

interface Input {
  shape: number[];
  /** Bake the values into the graph (gradients still taken w.r.t. them). */
  baked?: boolean;
  /** Values (default: standard normal). */
  values?: Float32Array;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Builds L = Σ c ⊙ f(inputs) and ∂L/∂inputs; checks each gradient entry (all, or `samples`
 * random ones per input) against central differences of L computed by the same graph.
 */
async function checkGradients(
  name: string,
  inputs: Input[],
  f: (xs: Value[]) => Value,
  opts: { h?: number; tolerance?: number; samples?: number; seed?: number; zeroGradient?: number[] } = {},
): Promise<void> {
  const rng = new Rng(opts.seed ?? 1);
  const values = inputs.map((inp) => inp.values ?? rng.normalArray(size(inp.shape)));
  let cotangent: Float32Array | null = null;
  const build = (vals: Float32Array[]): { model: Uint8Array; fed: number[] } => {
    const g = new Graph(name);
    const fed: number[] = [];
    const xs = inputs.map((inp, i) => {
      if (inp.baked) return g.weights(`x${i}`, vals[i], inp.shape);
      fed.push(i);
      return g.input(`x${i}`, inp.shape);
    });
    const y = f(xs);
    const shape = y.shape as number[];
    cotangent ??= new Rng(99).normalArray(size(shape));
    const loss = op.sum(op.mul(y, g.constant(cotangent, shape)));
    const grads = g.tape.gradients([loss], [g.scalar(1)], xs, (a, b) => op.raw.binary('Add', a, b));
    g.output(loss, 'loss');
    grads.forEach((gr, i) => {
      if (!gr) throw new Error(`${name}: no gradient for input ${i}`);
      g.output(gr, `g${i}`);
    });
    return { model: g.toModel(), fed };
  };
  const run = async (vals: Float32Array[]): Promise<Record<string, OrtTensor>> => {
    const { model, fed } = build(vals);
    const s: InferenceSession = await createSession(model, 1);
    try {
      const feeds: Record<string, OrtTensor> = {};
      for (const i of fed) feeds[`x${i}`] = floatTensor(vals[i], inputs[i].shape);
      return await s.run(feeds);
    } finally {
      await s.release();
    }
  };
  const base = await run(values);
  const h = opts.h ?? 1e-2;
  const tolerance = opts.tolerance ?? 2e-3;
  for (let i = 0; i < inputs.length; i++) {
    const grad = base[`g${i}`].data as Float32Array;
    assert.equal(grad.length, size(inputs[i].shape), `${name}: gradient ${i} size`);
    const n = grad.length;
    const picks = opts.samples && opts.samples < n ? Array.from({ length: opts.samples }, () => rng.int(n)) : Array.from({ length: n }, (_, k) => k);
    let worst = 0;
    let scale = 0;
    for (const k of picks) {
      const plus = values.map((v) => v.slice());
      const minus = values.map((v) => v.slice());
      plus[i][k] += h;
      minus[i][k] -= h;
      const fp = ((await run(plus)).loss.data as Float32Array)[0];
      const fm = ((await run(minus)).loss.data as Float32Array)[0];
      const fd = (fp - fm) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - grad[k]));
      scale = Math.max(scale, Math.abs(grad[k]));
    }
    if (!opts.zeroGradient?.includes(i)) assert.ok(scale > 1e-4, `${name}: gradient ${i} is not trivially zero`);
    assert.ok(worst <= tolerance * (1 + scale), `${name}: input ${i}: max |fd − grad| = ${worst} (scale ${scale})`);
  }
}

test('ort ops: elementwise ops and broadcasting sums match central differences', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const positive = new Rng(3).uniformArray(12, 0.5, 2);
  await checkGradients('add (bias broadcast)', [{ shape: [3, 4] }, { shape: [4] }], ([a, b]) => op.add(a, b));
  await checkGradients('sub (column broadcast)', [{ shape: [3, 4] }, { shape: [3, 1] }], ([a, b]) => op.sub(a, b));
  await checkGradients('mul (scalar broadcast)', [{ shape: [2, 3, 2] }, { shape: [1] }], ([a, b]) => op.mul(a, b));
  await checkGradients('div', [{ shape: [3, 4] }, { shape: [3, 4], values: positive }], ([a, b]) => op.div(a, b));
  await checkGradients('exp, scale, addScalar', [{ shape: [5] }], ([a]) => op.addScalar(op.scale(op.exp(op.scale(a, 0.5)), 3), 1));
  await checkGradients('log, sqrt', [{ shape: [12], values: positive }], ([a]) => op.add(op.log(a), op.sqrt(a)));
  await checkGradients('neg, square', [{ shape: [7] }], ([a]) => op.neg(op.square(a)));
  await checkGradients('sigmoid, tanh, softplus', [{ shape: [9] }], ([a]) => op.add(op.add(op.sigmoid(a), op.tanh(a)), op.softplus(a)));
  await checkGradients('silu', [{ shape: [9] }], ([a]) => op.silu(a));
  // piecewise linear: inputs kept away from the kink at 0 by more than h
  const away = Float32Array.from(new Rng(4).normalArray(20), (v) => (v >= 0 ? v + 0.1 : v - 0.1));
  await checkGradients('leaky relu 0.2', [{ shape: [20], values: away }], ([a]) => op.leakyRelu(a, 0.2));
  await checkGradients('relu', [{ shape: [20], values: away }], ([a]) => op.leakyRelu(a, 0));
});

test('ort ops: shapes, reductions, Gemm and batched MatMul in every transposition, row slices, concat, log softmax and softmax', async () => {
  await initEngine('cpu', { engine: 'ort' });
  await checkGradients('reshape + transpose', [{ shape: [2, 3, 4] }], ([a]) => op.transpose(op.reshape(a, [6, 4]), [1, 0]));
  await checkGradients('sum over axes (kept)', [{ shape: [2, 3, 4] }], ([a]) => op.sum(a, [0, 2], true));
  await checkGradients('sum over an axis', [{ shape: [2, 3, 4] }], ([a]) => op.sum(a, [1]));
  await checkGradients('mean', [{ shape: [3, 5] }], ([a]) => op.mean(a, [0]));
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const a = ta ? [4, 3] : [3, 4];
    const b = tb ? [5, 4] : [4, 5];
    await checkGradients(`gemm transA=${ta} transB=${tb}`, [{ shape: a }, { shape: b }, { shape: [5] }], ([x, y, c]) => op.gemm(x, y, c, ta, tb));
    // the same per entry of a batch of 2
    await checkGradients(`batched matmul transA=${ta} transB=${tb}`, [{ shape: [2, ...a] }, { shape: [2, ...b] }], ([x, y]) => op.batchMatMul(x, y, ta, tb));
  }
  await checkGradients('row slices and concat', [{ shape: [5, 3] }, { shape: [2, 3] }], ([a, b]) => op.concat([op.sliceRows(a, 1, 3), b], 0));
  await checkGradients('log softmax', [{ shape: [3, 6] }], ([a]) => op.logSoftmax(a));
  await checkGradients('softmax over the last axis', [{ shape: [2, 3, 5] }], ([a]) => op.softmax(a));
});

/** Conv cases: image h×w, cin → cout, kernel k, stride s, TF 'same' padding. */
const CONV_CASES = [
  { h: 5, w: 5, cin: 1, cout: 3, k: 3, s: 1 },
  { h: 7, w: 6, cin: 2, cout: 4, k: 4, s: 2 },
  { h: 8, w: 8, cin: 3, cout: 2, k: 3, s: 2 },
  { h: 7, w: 7, cin: 2, cout: 3, k: 3, s: 3 },
  { h: 6, w: 5, cin: 3, cout: 2, k: 1, s: 1 },
  { h: 5, w: 7, cin: 2, cout: 2, k: 1, s: 2 },
  // no padding needed and the kernel does not reach the last rows: its gradient is cropped
  { h: 6, w: 8, cin: 2, cout: 3, k: 1, s: 2 },
  { h: 9, w: 9, cin: 2, cout: 2, k: 2, s: 3 },
  // ≥ 8 output channels of the input gradient: the sub-pixel form when the kernel is baked
  { h: 7, w: 7, cin: 8, cout: 4, k: 4, s: 2 },
  { h: 6, w: 6, cin: 8, cout: 3, k: 3, s: 1 },
  { h: 9, w: 5, cin: 8, cout: 2, k: 3, s: 2 },
  // ≥ 65,536 kernel values: the kernel gradient as one GEMM over the input's patches
  { h: 5, w: 6, cin: 96, cout: 96, k: 3, s: 1 },
  { h: 7, w: 7, cin: 64, cout: 72, k: 4, s: 2 },
];

for (const baked of [false, true]) {
  test(`ort ops: convolutions (kernels ${baked ? 'baked: sub-pixel Conv' : 'fed: ConvTranspose'} input gradient) match central differences`, async () => {
    await initEngine('cpu', { engine: 'ort' });
    for (const c of CONV_CASES) {
      const pads = op.samePads(c.h, c.w, c.k, c.s);
      await checkGradients(
        `conv ${c.h}×${c.w}×${c.cin}→${c.cout} k${c.k} s${c.s}`,
        [{ shape: [2, c.cin, c.h, c.w] }, { shape: [c.cout, c.cin, c.k, c.k], baked }, { shape: [c.cout] }],
        ([x, w, b]) => op.conv2d(x, w, b, { stride: c.s, pads }),
        { samples: 12, seed: c.h * 31 + c.k },
      );
    }
  });
}

test("ort ops: convolutions with PyTorch's symmetric padding and no bias (kernels fed and baked) match central differences", async () => {
  await initEngine('cpu', { engine: 'ort' });
  // the authors' stride-2 3×3 (pad 1) and 1×1 shortcut (pad 0) on even and odd sizes
  const cases = [
    { h: 8, w: 8, cin: 3, cout: 4, k: 3, s: 2, p: 1 },
    { h: 9, w: 7, cin: 8, cout: 3, k: 3, s: 2, p: 1 },
    { h: 5, w: 6, cin: 8, cout: 2, k: 3, s: 1, p: 1 },
    { h: 9, w: 7, cin: 2, cout: 3, k: 1, s: 2, p: 0 },
  ];
  for (const baked of [false, true]) {
    for (const c of cases) {
      await checkGradients(
        `conv ${c.h}×${c.w}×${c.cin}→${c.cout} k${c.k} s${c.s} pad ${c.p}, no bias${baked ? ', baked' : ''}`,
        [{ shape: [2, c.cin, c.h, c.w] }, { shape: [c.cout, c.cin, c.k, c.k], baked }],
        ([x, w]) => op.conv2d(x, w, null, { stride: c.s, pads: [c.p, c.p, c.p, c.p] }),
        { samples: 12, seed: c.h * 17 + c.k },
      );
    }
  }
});

test('ort ops: the self-attention block (1×1 convs, tokens, batched MatMul, softmax, gate) matches central differences', async () => {
  await initEngine('cpu', { engine: 'ort' });
  const [c, h, w] = [8, 3, 2];
  const list = new SlotList();
  const block = attentionSlots(list, 'attention', c, h, w);
  await checkGradients(
    'self-attention',
    [{ shape: [2, c, h, w] }, ...list.slots.map((s) => ({ shape: s.shape }))],
    ([x, ...ws]) => selfAttention(ortOps, x, ws, block),
    // input 1 + key bias: it adds q_j·b to every score of query j, which the softmax ignores
    { samples: 8, seed: 5, zeroGradient: [1 + block.key + 1] },
  );
});

test('ort ops: 2×2 average pooling on even and odd sizes', async () => {
  await initEngine('cpu', { engine: 'ort' });
  await checkGradients('avg pool 6×4', [{ shape: [2, 3, 6, 4] }], ([x]) => op.avgPool2(x));
  await checkGradients('avg pool 5×7', [{ shape: [1, 2, 5, 7] }], ([x]) => op.avgPool2(x));
});

test('ort ops: a baked tensor transposed is a constant with the transposed values', () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i);
  const t = op.transposeData(data, [2, 3, 4], [2, 0, 1]);
  // out[c, a, b] = in[a, b, c]
  for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) assert.equal(t[(c * 2 + a) * 3 + b], data[(a * 3 + b) * 4 + c]);
});
