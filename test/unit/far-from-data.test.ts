/**
 * The far-from-data share: strays measured from the data alone (for point data without a known
 * support), checked by hand, against the known supports of the built-in targets, and on a CSV-like
 * finite set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { TOY_DATASETS, type ToyName } from '../../src/data/index.js';
import { finiteDataset } from '../../src/data/points.js';
import { farFromData, supportFit } from '../../src/eval/index.js';
import { evaluateFarFromData, FAR_FROM_DATA_POINTS } from '../../src/report/evaluate-run.js';

test('farFromData by hand: threshold = the quantile of held-out nearest distances; samples beyond it counted', () => {
  // reference 0, 1, …, 9 on a line; held-out points 0.1 … 1.0 from their nearest (quantile 0.9 → the 9th of 10: 0.4)
  const reference = Float32Array.from({ length: 10 }, (_, i) => i);
  const heldOut = Float32Array.from([0.1, 1.2, 2.3, 3.4, 4.4, 5.3, 6.2, 7.1, 8.4, 9.45]);
  const samples = Float32Array.from([0, 0.39, 0.41, 5.5, -3, 20]);
  const f = farFromData(samples, reference, heldOut, 1, 0.9);
  assert.ok(Math.abs(f.threshold - 0.4) < 1e-6, `threshold ${f.threshold}`);
  assert.equal(f.share, 4 / 6); // 0.41, 5.5, −3, 20
  assert.deepEqual([f.samples, f.reference, f.heldOut, f.quantile], [6, 10, 10, 0.9]);
  assert.throws(() => farFromData(samples, reference, heldOut, 4), /expected a positive multiple of dim 4/);
  assert.throws(() => farFromData(samples, reference, heldOut, 1, 1), /quantile/);
});

test('farFromData equals a brute-force count (ties in the first coordinate, 1 to 5 dimensions, NaN samples far)', () => {
  const rng = new Rng(8);
  for (const dim of [1, 2, 3, 5]) {
    // coordinates on a coarse grid, so many rows share their first coordinate
    const grid = (n: number) => Float32Array.from({ length: n * dim }, () => Math.round(rng.normal() * 4) / 4);
    const reference = grid(300);
    const heldOut = grid(200);
    const samples = grid(500).map((v) => v + 0.3 * rng.normal());
    samples[7 * dim] = NaN;
    samples[11 * dim + dim - 1] = NaN;
    const brute = (x: Float32Array, i: number) => {
      let best = Infinity;
      for (let j = 0; j < 300; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += (x[i * dim + k] - reference[j * dim + k]) ** 2;
        if (s < best) best = s;
      }
      return Math.sqrt(best);
    };
    const held = Array.from({ length: 200 }, (_, i) => brute(heldOut, i)).sort((a, b) => a - b);
    const threshold = held[Math.ceil(0.99 * 200) - 1];
    let far = 0;
    for (let i = 0; i < 500; i++) if (!(brute(samples, i) <= threshold)) far++;
    const f = farFromData(samples, reference, heldOut, dim);
    assert.ok(Math.abs(f.threshold - threshold) < 1e-6, `dim ${dim}: threshold ${f.threshold} vs ${threshold}`);
    assert.equal(f.share, far / 500, `dim ${dim}`);
    assert.ok(far >= 2, 'the NaN samples count as far');
  }
});

test('from the data alone, it tells the strays the known supports tell: fresh data ~1%, smeared samples far more', () => {
  for (const name of ['rings', '25gaussians', 'spiral'] as ToyName[]) {
    const { generate, support } = TOY_DATASETS[name];
    const rng = new Rng(11);
    const reference = generate(4000, rng);
    const heldOut = generate(4000, rng);
    const fresh = farFromData(generate(8000, rng), reference, heldOut, 2);
    assert.ok(fresh.share > 0.002 && fresh.share < 0.02, `${name}: fresh data ${(100 * fresh.share).toFixed(2)}% far`);
    // 5% of the samples thrown uniformly over the data's box: strays between the parts
    const smeared = generate(8000, rng);
    for (let i = 0; i < 400; i++) for (let k = 0; k < 2; k++) smeared[2 * (20 * i) + k] = (rng.uniform() * 2 - 1) * 3.5;
    const far = farFromData(smeared, reference, heldOut, 2).share;
    const off = supportFit(smeared, support).offSupport;
    assert.ok(far > 0.03 && far < 0.08, `${name}: ${(100 * far).toFixed(2)}% far from the data (off the known support: ${(100 * off).toFixed(2)}%)`);
    assert.ok(Math.abs(far - off) < 0.02, `${name}: far ${(100 * far).toFixed(2)}% vs off-support ${(100 * off).toFixed(2)}%`);
  }
});

test('evaluateFarFromData: a finite set is split in two disjoint halves; too few rows give no figure; seeded', () => {
  const rng = new Rng(3);
  const rows = 1000;
  const points = Float32Array.from({ length: 2 * rows }, () => rng.normal());
  const ds = finiteDataset('pts.csv', points, 2);
  const samples = Float32Array.from({ length: 2 * 3000 }, () => 2 * rng.normal());
  const f = evaluateFarFromData(samples, ds, 7)!;
  assert.deepEqual([f.reference, f.heldOut, f.samples], [500, 500, 3000]);
  // twice the data's spread: a large share beyond the data's own 99th percentile
  assert.ok(f.share > 0.2, `far ${f.share}`);
  assert.deepEqual(evaluateFarFromData(samples, ds, 7), f, 'the same seed gives the same figure');
  assert.equal(evaluateFarFromData(samples, finiteDataset('few.csv', points.subarray(0, 2 * 199), 2), 7), undefined);
  const big = evaluateFarFromData(samples, { name: 'rings', dim: 2, sample: TOY_DATASETS.rings.generate }, 7)!;
  assert.deepEqual([big.reference, big.heldOut], [FAR_FROM_DATA_POINTS, FAR_FROM_DATA_POINTS]);
  // more dimensions, fewer points for the same work; none at all past 1,250 dimensions
  const wide = (dim: number) => ({ name: `gauss${dim}`, dim, sample: (n: number, r: Rng) => r.normalArray(n * dim) });
  const in3 = evaluateFarFromData(new Rng(1).normalArray(3 * 9000), wide(3), 7)!;
  assert.deepEqual([in3.reference, in3.samples], [4082, 8164]);
  assert.ok(in3.share < 0.03, `3-D fresh data ${in3.share} far`);
  assert.equal(evaluateFarFromData(new Rng(1).normalArray(1300 * 10), wide(1300), 7), undefined);
});
