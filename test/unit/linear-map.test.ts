/**
 * LinearMap (x·W + b on our wasm GEMM) against a float64 reference, and the Gaussian priors
 * that draw through it: the same draws as their plain-JavaScript form, up to float32 rounding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinearMap } from '../../src/engine/index.js';
import { priorFromState } from '../../src/priors/index.js';
import { Rng } from '../../src/util/rng.js';
import { maxRelErr, withoutFusedKernels } from '../helpers/fused.js';

test('LinearMap matches a float64 reference: widths on and off multiples of 4, batch sizes, one row', () => {
  const rng = new Rng(51);
  for (const [fanIn, fanOut, rows] of [
    [7, 5, 3],
    [64, 64, 130],
    [1, 9, 1],
    [33, 4, 17],
  ]) {
    const w = rng.normalArray(fanIn * fanOut);
    const b = rng.normalArray(fanOut);
    const x = rng.normalArray(rows * fanIn);
    const want = new Float64Array(rows * fanOut);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < fanOut; c++) {
        let s = b[c];
        for (let k = 0; k < fanIn; k++) s += x[r * fanIn + k] * w[k * fanOut + c];
        want[r * fanOut + c] = s;
      }
    }
    const map = new LinearMap(w, b, fanIn, fanOut);
    assert.ok(maxRelErr(map.apply(x, rows), want) < 1e-5, `${fanIn}×${fanOut}, ${rows} rows`);
    assert.ok(maxRelErr(map.apply(x.subarray(0, fanIn), 1), want.subarray(0, fanOut)) < 1e-5, 'one row after many');
  }
  assert.throws(() => new LinearMap(new Float32Array(5), new Float32Array(2), 2, 2), /expected a 2×2 kernel and 2 biases/);
  assert.throws(() => new LinearMap(new Float32Array(4), new Float32Array(2), 2, 2).apply(new Float32Array(3), 2), /expected 2×2 inputs, got 3/);
});

test('full and low-rank Gaussian priors draw the same points with and without our kernels', () => {
  const rng = new Rng(52);
  const dim = 10;
  const chol = new Float32Array(dim * dim);
  for (let a = 0; a < dim; a++) for (let b = 0; b <= a; b++) chol[a * dim + b] = a === b ? 1 + a / 10 : 0.3 * rng.normal();
  const rank = 3;
  const states = [
    { name: 'data-gaussian' as const, dim, mean: rng.normalArray(dim), chol: Array.from(chol) },
    { name: 'data-gaussian' as const, dim, mean: rng.normalArray(dim), rank, factor: rng.normalArray(dim * rank), diagStd: rng.uniformArray(dim, 0.1, 1) },
  ];
  for (const state of states) {
    const prior = priorFromState(state);
    const fused = prior.sample(37, new Rng(7));
    const plain = withoutFusedKernels(() => priorFromState(state).sample(37, new Rng(7)));
    assert.ok(maxRelErr(fused, plain) < 1e-5, 'rank' in state ? 'low rank' : 'full');
    assert.ok(maxRelErr(fused, new Rng(7).normalArray(37 * dim)) > 0.1, 'the draws are transformed');
  }
});
