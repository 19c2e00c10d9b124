/**
 * The known supports of the 2-D targets and the off-support / mass-balance measure
 * (src/data/support.ts, src/eval/support.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { TOY_DATASETS, TOY_DATASET_NAMES, distanceToShape, supportSpread, type Support, type SupportShape } from '../../src/data/index.js';
import { curve } from '../../src/data/support.js';
import { offSupportThreshold, supportFit, worstShareError } from '../../src/eval/index.js';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('distanceToShape: points, circles, boxes (0 inside) and polylines, by hand', () => {
  close(distanceToShape(3, 4, { kind: 'point', x: 0, y: 0 }), 5);
  close(distanceToShape(0, 0, { kind: 'circle', cx: 1, cy: 0, r: 2 }), 1); // inside: 2 − 1
  close(distanceToShape(4, 0, { kind: 'circle', cx: 1, cy: 0, r: 2 }), 1); // outside: 3 − 2
  const box: SupportShape = { kind: 'box', x0: 0, y0: 0, x1: 2, y1: 1 };
  close(distanceToShape(1, 0.5, box), 0);
  close(distanceToShape(-3, 0.5, box), 3);
  close(distanceToShape(5, 5, box), 5); // corner (2, 1): (3, 4)
  const l: SupportShape = { kind: 'polyline', points: Float64Array.from([0, 0, 2, 0, 2, 2]) };
  close(distanceToShape(1, 1, l), 1); // equidistant from both legs
  close(distanceToShape(-1, 0, l), 1); // past the first end
  close(distanceToShape(3, 3, l), Math.SQRT2); // past the last end
  close(distanceToShape(1, -0.5, l), 0.5);
});

test('distanceToShape on a long polyline equals the brute-force minimum (block pruning is exact)', () => {
  const spiral = curve((t) => [t * Math.cos(t), t * Math.sin(t)], 0, 12, 777);
  const p = (spiral as Extract<SupportShape, { kind: 'polyline' }>).points;
  const rng = new Rng(3);
  for (let i = 0; i < 300; i++) {
    const x = 24 * rng.uniform() - 12;
    const y = 24 * rng.uniform() - 12;
    let brute = Infinity;
    for (let v = 0; v + 3 < p.length; v += 2) {
      brute = Math.min(brute, distanceToShape(x, y, { kind: 'polyline', points: Float64Array.from([p[v], p[v + 1], p[v + 2], p[v + 3]]) }));
    }
    close(distanceToShape(x, y, spiral), brute, 1e-12);
    // with a bound: exact below it, never below it otherwise
    const bounded = distanceToShape(x, y, spiral, 0.5);
    if (brute < 0.5) close(bounded, brute, 1e-12);
    else assert.ok(bounded >= 0.5);
  }
});

test('supportFit: off-support share, nearest-part shares (summing to 1), NaN rows, threshold = max(3σ, 1% spread)', () => {
  const support: Support = {
    partKind: 'mode',
    parts: [
      { kind: 'point', x: 0, y: 0 },
      { kind: 'point', x: 10, y: 0 },
    ],
    sigma: 0.1,
  };
  assert.equal(supportSpread(support), 10);
  close(offSupportThreshold(support), 0.3); // 3σ > 0.1
  close(offSupportThreshold({ ...support, sigma: 0.01 }), 0.1); // 1% of 10 > 0.03
  // on mode 0, on mode 0 (at the threshold: not off), 2 away from mode 1 (off, still counted for it), NaN
  const fit = supportFit([0.1, 0, 0.3, 0, 8, 0, NaN, 0], support);
  close(fit.offSupport, 0.5);
  assert.deepEqual(fit.shares, [0.5, 0.25]);
  assert.equal(fit.n, 4);
  close(fit.medianDistance, 1.15); // distances 0.1, 0.3, 2 and ∞ (NaN): median (0.3 + 2) / 2
  assert.throws(() => supportFit([1, 2, 3], support), RangeError);
  assert.throws(() => supportFit([1, 2], { ...support, parts: [] }), RangeError);
});

test('worstShareError: the largest relative error over parts; empty data parts skipped', () => {
  close(worstShareError([0.25, 0.25, 0.5], [0.25, 0.3125, 0.4375]), 0.2);
  close(worstShareError([0.5, 0.5, 0], [0.5, 0.5, 0]), 0);
  assert.throws(() => worstShareError([1], [0.5, 0.5]), RangeError);
});

/** The mixing weights each generator draws its parts with (per part). */
const WEIGHTS: Record<string, number> = {
  '8gaussians': 1 / 8,
  '25gaussians': 1 / 25,
  swissroll: 1 / 3,
  checkerboard: 1 / 8,
  moons: 1 / 2,
  rings: 1 / 4,
  pinwheel: 1 / 5,
  '2spirals': 1 / 2,
  circles: 1 / 2,
  spiral: 1 / 3,
  segments: 1 / 9,
};

test('every built-in target: its own data keep to its support and split by its mixing weights', () => {
  assert.deepEqual(Object.keys(WEIGHTS).sort(), [...TOY_DATASET_NAMES].sort());
  for (const name of TOY_DATASET_NAMES) {
    const { support, generate } = TOY_DATASETS[name];
    const fit = supportFit(generate(20000, new Rng(21)), support);
    // a 2-D Gaussian leaves exp(−9/2) = 1.1% beyond 3σ; a curve's 1-D noise 0.27%
    const expectedOff = support.parts[0].kind === 'point' ? Math.exp(-4.5) : support.sigma > 0 ? 0.0027 : 0;
    assert.ok(fit.offSupport <= expectedOff + 0.004, `${name}: ${(100 * fit.offSupport).toFixed(2)}% of the data off its support`);
    assert.equal(fit.shares.length, Math.round(1 / WEIGHTS[name]), name);
    for (const s of fit.shares) assert.ok(Math.abs(s / WEIGHTS[name] - 1) < 0.08, `${name}: a part holds ${(100 * s).toFixed(2)}%, expected ${(100 * WEIGHTS[name]).toFixed(2)}%`);
  }
});

test('a smeared or unbalanced sample is caught: data + noise 2σ goes off-support, one part dropped shows as −100%', () => {
  const { support, generate } = TOY_DATASETS.rings;
  const data = generate(20000, new Rng(4));
  const rng = new Rng(5);
  const blurred = data.map((v) => v + 2 * support.sigma * rng.normal());
  // √5 σ of noise against a 3σ threshold: ~18% beyond it across the ring
  assert.ok(supportFit(blurred, support).offSupport > 0.1);
  const fit = supportFit(data, support);
  const keep: number[] = [];
  for (let i = 0; i < data.length / 2; i++) if (Math.hypot(data[2 * i], data[2 * i + 1]) > 1.2) keep.push(data[2 * i], data[2 * i + 1]);
  const without = supportFit(keep, support);
  close(worstShareError(without.shares, fit.shares), 1);
});
