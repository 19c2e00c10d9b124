import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import {
  BANDWIDTH_FACTORS,
  defaultBandwidths,
  energyDistance,
  evaluateSamples,
  medianPairwiseDistance,
  mmdRbf,
  modeCoverage,
  slicedWasserstein,
  wasserstein1Sorted,
} from '../../src/eval/index.js';

function gaussian(n: number, dim: number, seed: number, shift = 0): Float32Array {
  const a = new Rng(seed).normalArray(n * dim);
  for (let i = 0; i < a.length; i++) a[i] += shift;
  return a;
}

function dist(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += (a[i * dim + d] - b[j * dim + d]) ** 2;
  return Math.sqrt(s);
}

/** Brute-force float64 references, written straight from the definitions. */
function bruteEnergy(x: number[], y: number[], dim: number): number {
  const n = x.length / dim;
  const m = y.length / dim;
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += dist(x, i, y, j, dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) xx += dist(x, i, x, j, dim);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) yy += dist(y, i, y, j, dim);
  return (2 * xy) / (n * m) - xx / (n * n) - yy / (m * m);
}

function bruteMmd(x: number[], y: number[], dim: number, bw: number[]): number {
  const k = (a: number[], i: number, b: number[], j: number): number => {
    const d2 = dist(a, i, b, j, dim) ** 2;
    return bw.reduce((s, sg) => s + Math.exp(-d2 / (2 * sg * sg)), 0) / bw.length;
  };
  const n = x.length / dim;
  const m = y.length / dim;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) xx += k(x, i, x, j);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) yy += k(y, i, y, j);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(x, i, y, j);
  return Math.sqrt(Math.max(0, xx / (n * n) + yy / (m * m) - (2 * xy) / (n * m)));
}

test('metrics of a set against itself are ≈ 0', () => {
  const x = gaussian(400, 2, 1);
  const bw = defaultBandwidths(x, 2);
  assert.ok(mmdRbf(x, x, 2, bw) < 1e-6);
  assert.ok(energyDistance(x, x, 2) < 1e-12);
  assert.equal(slicedWasserstein(x, x, 2, { rng: new Rng(1) }), 0);
  // a duplicated copy is the same empirical measure (different sizes)
  const xx = new Float32Array(1600);
  xx.set(x);
  xx.set(x, 800);
  assert.ok(mmdRbf(x, xx, 2, bw) < 1e-6);
  assert.ok(energyDistance(x, xx, 2) < 1e-12);
  assert.ok(slicedWasserstein(x, xx, 2, { rng: new Rng(1) }) < 1e-12);
});

test('energy distance: closed forms and a brute-force float64 reference', () => {
  assert.ok(Math.abs(energyDistance([0], [1], 1) - 2) < 1e-15);
  // x = {0}, y = {0, 2}: 2·1 − 0 − (0 + 2 + 2 + 0)/4 = 1
  assert.ok(Math.abs(energyDistance([0], [0, 2], 1) - 1) < 1e-15);
  const rng = new Rng(4);
  for (const [n, m, dim] of [
    [5, 7, 2],
    [6, 3, 3],
    [4, 4, 1],
  ]) {
    const x = Array.from(rng.normalArray(n * dim));
    const y = Array.from(rng.normalArray(m * dim), (v) => v + 0.5);
    const got = energyDistance(Float32Array.from(x), Float32Array.from(y), dim);
    const want = bruteEnergy(x, y, dim);
    assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
    assert.ok(want > 0);
  }
});

test('MMD matches a brute-force reference (default chain and arbitrary bandwidths)', () => {
  const rng = new Rng(5);
  for (const [n, m, dim] of [
    [6, 9, 2],
    [5, 4, 3],
  ]) {
    const x = Array.from(rng.normalArray(n * dim));
    const y = Array.from(rng.normalArray(m * dim), (v) => v * 1.5 + 0.3);
    const chain = defaultBandwidths(Float32Array.from(y), dim);
    for (const bw of [chain, [0.7], [0.3, 1.1, 2.9], [4, 0.5, 1, 2]]) {
      const got = mmdRbf(x, y, dim, bw);
      const want = bruteMmd(x, y, dim, bw);
      assert.ok(Math.abs(got - want) < 1e-9, `bw ${bw}: ${got} vs ${want}`);
    }
  }
  assert.throws(() => mmdRbf([0], [1], 1, []), RangeError);
  assert.throws(() => mmdRbf([0], [1], 1, [0]), /bandwidths\[0\] is 0/);
});

test('MMD separates N(0,I) from N(3,I) and is fast enough for 2000×2000', () => {
  const a = gaussian(2000, 2, 10);
  const b = gaussian(2000, 2, 11);
  const c = gaussian(2000, 2, 12, 3);
  const bw = defaultBandwidths(a, 2);
  const t0 = performance.now();
  const same = mmdRbf(a, b, 2, bw);
  const ms = performance.now() - t0;
  const diff = mmdRbf(a, c, 2, bw);
  assert.ok(same > 0 && same < 0.05, `same ${same}`);
  assert.ok(diff > 0.5, `diff ${diff}`);
  assert.ok(diff > 20 * same);
  // target is < 300 ms on an idle machine; the bound here only catches gross regressions
  assert.ok(ms < 3000, `mmdRbf 2000×2000 took ${ms} ms`);
  assert.ok(energyDistance(a, b, 2) < 0.01 && energyDistance(a, c, 2) > 2);
});

test('median pairwise distance and default bandwidths', () => {
  assert.equal(medianPairwiseDistance([0, 1, 3], 1), 2);
  assert.equal(medianPairwiseDistance([0, 1, 2, 3], 1), 1.5);
  // N(0, I₂): ‖X − X′‖ is Rayleigh(√2), median √2·√(2 ln 2) ≈ 1.665
  const x = gaussian(3000, 2, 3);
  const full = medianPairwiseDistance(x, 2, 3000);
  assert.ok(Math.abs(full - 2 * Math.sqrt(Math.log(2))) < 0.08, `median ${full}`);
  // more than maxPoints rows: an evenly strided subset (every 3rd row here)
  const med = medianPairwiseDistance(x, 2);
  const every3rd = x.filter((_, i) => Math.floor(i / 2) % 3 === 0);
  assert.equal(med, medianPairwiseDistance(every3rd, 2, 1000));
  assert.deepEqual(
    defaultBandwidths(x, 2),
    BANDWIDTH_FACTORS.map((f) => f * med),
  );
  assert.deepEqual(BANDWIDTH_FACTORS, [1 / 8, 1 / 4, 1 / 2, 1, 2]);
  assert.deepEqual(defaultBandwidths([1, 1, 1, 1, 1, 1], 2), BANDWIDTH_FACTORS.map((f) => f));
  assert.throws(() => medianPairwiseDistance([1, 2], 2), /at least 2/);
  assert.throws(() => medianPairwiseDistance([1, 2, 3], 2), /multiple of 2/);
});

test('sliced W1: a shift by c along x gives |c|·E|cos θ| = 2c/π', () => {
  const x = gaussian(1000, 2, 20);
  for (const c of [0.5, 2]) {
    const y = Float32Array.from(x);
    for (let i = 0; i < y.length; i += 2) y[i] += c;
    const sw = slicedWasserstein(x, y, 2, { projections: 2000, rng: new Rng(21) });
    assert.ok(Math.abs(sw - (2 * c) / Math.PI) < 0.03 * c, `c=${c}: ${sw} vs ${(2 * c) / Math.PI}`);
  }
  const y = gaussian(700, 2, 22, 1);
  assert.equal(
    slicedWasserstein(x, y, 2, { rng: new Rng(7) }),
    slicedWasserstein(x, y, 2, { rng: new Rng(7) }),
  );
  assert.equal(slicedWasserstein(x, y, 2), slicedWasserstein(x, y, 2, { rng: new Rng(0) }));
  assert.throws(() => slicedWasserstein(x, y, 2, { projections: 0 }), RangeError);
});

test('1-D W1 between empirical measures of different sizes is exact', () => {
  // quantiles of {0,1} vs {0,.5,1} differ by .5 on [1/3, 2/3): W1 = 1/6
  assert.ok(Math.abs(wasserstein1Sorted(Float64Array.of(0, 1), Float64Array.of(0, 0.5, 1)) - 1 / 6) < 1e-15);
  assert.ok(Math.abs(wasserstein1Sorted(Float64Array.of(0), Float64Array.of(1, 3)) - 2) < 1e-15);
  assert.equal(wasserstein1Sorted(Float64Array.of(1, 2), Float64Array.of(1, 1, 2, 2)), 0);
  // in 1-D, SW equals W1 (directions are ±1)
  const sw = slicedWasserstein([0, 1], [0, 0.5, 1], 1, { projections: 5, rng: new Rng(1) });
  assert.ok(Math.abs(sw - 1 / 6) < 1e-12);
});

test('mode coverage on constructed points', () => {
  const modes = [0, 0, 10, 0, 0, 10];
  const samples = [
    0.1, 0, // mode 0
    -0.2, 0.1, // mode 0
    9.9, 0.3, // mode 1
    5, 5, // far from all
    0, 10.4, // mode 2
    0, 9.6, // mode 2
    0, 11, // far: 1 from mode 2, threshold 0.5
    10, 0, // mode 1
  ];
  const r = modeCoverage(samples, 2, modes, 0.5);
  assert.deepEqual(r.counts, [2, 2, 2]);
  assert.deepEqual(r.fractions, [0.25, 0.25, 0.25]);
  assert.equal(r.far, 0.25);
  // exactly at the threshold is not far
  const onEdge = modeCoverage([0.5, 0], 2, modes, 0.5);
  assert.deepEqual(onEdge.counts, [1, 0, 0]);
  const nan = modeCoverage([NaN, 0], 2, modes, 0.5);
  assert.equal(nan.far, 1);
  assert.deepEqual(modeCoverage([], 2, modes, 1), { fractions: [0, 0, 0], far: 0, counts: [0, 0, 0] });
});

test('evaluateSamples: fields, bandwidths from the reference, seeded', () => {
  const s = gaussian(300, 2, 30);
  const ref = gaussian(500, 2, 31, 0.5);
  const r = evaluateSamples(s, ref, 2, { seed: 3 });
  assert.equal(r.n, 300);
  assert.equal(r.m, 500);
  assert.deepEqual(r.bandwidths, defaultBandwidths(ref, 2));
  assert.ok(Math.abs(r.mmd - mmdRbf(s, ref, 2, r.bandwidths)) < 1e-15);
  assert.equal(r.energy, energyDistance(s, ref, 2));
  assert.equal(r.sliced_w, slicedWasserstein(s, ref, 2, { projections: 128, rng: new Rng(3) }));
  assert.deepEqual(evaluateSamples(s, ref, 2, { seed: 3 }), r);
  const r2 = evaluateSamples(s, ref, 2, { bandwidths: [1], projections: 16 });
  assert.deepEqual(r2.bandwidths, [1]);
  assert.ok(r.mmd > 0 && r.energy > 0 && r.sliced_w > 0);
  assert.throws(() => evaluateSamples(s, ref, 3), /multiple of 3/);
  assert.throws(() => evaluateSamples([], ref, 2), /at least 1/);
});
