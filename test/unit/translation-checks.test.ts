/**
 * The arithmetic of eval:translate's paired checks (src/eval/translation.ts) on small synthetic
 * images whose answers are known, and the domain dataset's bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairByCode, imageRmse, ownPairShare, pairedTranslationFigures, pairedBaselines, unpairedBaselines, meanAbsChange, gaussianBlur } from '../../src/eval/translation.js';
import { domainDataset, domainSplit } from '../../src/eval/domain-classifier.js';
import { makeImageDataset } from '../../src/data/images/dataset.js';
import { DataError } from '../../src/data/types.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('pairByCode: pairs by code in source order, lists the unpaired, refuses repeated codes', () => {
  const p = pairByCode(['A', 'B', 'C', 'D'], ['D', 'X', 'A', 'C']);
  assert.deepEqual(p.source, [0, 2, 3]);
  assert.deepEqual(p.target, [2, 3, 0]);
  assert.deepEqual(p.unpaired, ['B']);
  assert.throws(() => pairByCode(['A'], ['A', 'A']), /target code A appears twice/);
  assert.throws(() => pairByCode(['A', 'A'], ['A']), /source code A appears twice/);
});

test('imageRmse: per-value root mean square difference between image i and image j', () => {
  const a = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const b = Float32Array.from([3, 4, 0, 0]);
  close(imageRmse(a, 0, b, 0, 4), Math.sqrt((9 + 16) / 4));
  close(imageRmse(a, 1, b, 0, 4), Math.sqrt((4 + 9 + 1 + 1) / 4));
  close(imageRmse(a, 1, a, 1, 4), 0);
});

/** n images of `per` values: image i is a constant level i (distinct emoji), plus a pattern. */
function levels(n: number, per: number, offset: (i: number, k: number) => number): Float32Array {
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++) for (let k = 0; k < per; k++) x[i * per + k] = i + offset(i, k);
  return x;
}

test('pairedTranslationFigures: RMSE gain, closer share and own-pair share of known translations', () => {
  const n = 5;
  const per = 4;
  const pairs = levels(n, per, () => 0);
  // inputs sit 0.4 from their pair (every value); outputs move halfway: 0.2 off, except image 0,
  // which moves away (0.6 off, towards pair 1) – 4 of 5 closer
  const inputs = levels(n, per, () => 0.4);
  const outputs = levels(n, per, (i) => (i === 0 ? 0.6 : 0.2));
  const f = pairedTranslationFigures(inputs, outputs, pairs, n, per);
  close(f.inputRmse, 0.4);
  close(f.outputRmse, (4 * 0.2 + 0.6) / 5);
  close(f.rmseGain, 1 - 0.28 / 0.4);
  close(f.closerShare, 0.8);
  // pairs are 1 apart: 0.4 and 0.2 off are nearest their own, 0.6 off is nearer pair 1 (but
  // still nearer its own than pairs 2–4): 19 of 20 comparisons won, 4 of 5 nearest
  close(f.inputOwnPairShare, 1);
  close(f.inputNearestPairShare, 1);
  close(f.ownPairShare, 19 / 20);
  close(f.nearestPairShare, 0.8);
  // outputs equal to the pairs: all the way (gain 1), all closer, all nearest their own
  const exact = pairedTranslationFigures(inputs, pairs, pairs, n, per);
  close(exact.rmseGain, 1);
  close(exact.closerShare, 1);
  close(exact.ownPairShare, 1);
  close(exact.nearestPairShare, 1);
  // outputs that did not move: no gain, none closer (ties are not closer)
  const still = pairedTranslationFigures(inputs, inputs, pairs, n, per);
  close(still.rmseGain, 0);
  close(still.closerShare, 0);
});

test('pairedBaselines: the pair of the nearest training source, the mean pair of the k nearest, the share of duplicates', () => {
  // training sources on a line (per 2 values): 0, 1, 2, 3; their targets 10, 20, 30, 40
  const src = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
  const tgt = Float32Array.from([10, 10, 20, 20, 30, 30, 40, 40]);
  const inputs = Float32Array.from([1, 1, 2.9, 2.9, -5, -5]);
  const b = pairedBaselines(inputs, 3, src, tgt, 4, 2, { k: 2, duplicateRmse: 0.05 });
  assert.deepEqual(Array.from(b.nearest), [20, 20, 40, 40, 10, 10]);
  // input 1 → sources 1 (exact) and 0 or 2 at equal distance: the lower index wins the tie
  assert.deepEqual(Array.from(b.meanOfNearest), [15, 15, 35, 35, 15, 15]);
  assert.equal(b.k, 2);
  assert.ok(Math.abs(b.duplicateShare - 1 / 3) < 1e-12, `duplicates ${b.duplicateShare}`);
  assert.equal(pairedBaselines(inputs, 3, src, tgt, 4, 2, { k: 9 }).k, 4, 'k is capped at the training pairs');
  assert.throws(() => pairedBaselines(inputs, 3, src, tgt, 3, 2), /expected 3 \/ 3 \/ 3 images of 2/);
  assert.throws(() => pairedBaselines(new Float32Array(0), 0, new Float32Array(0), new Float32Array(0), 0, 2), /no training pairs/);
});

test('unpairedBaselines: the nearest training target image itself and the mean of the k nearest, no pairing', () => {
  // training targets on a line (per 2 values): 10, 20, 30, 40
  const tgt = Float32Array.from([10, 10, 20, 20, 30, 30, 40, 40]);
  const inputs = Float32Array.from([12, 12, 38, 38, 100, 100]);
  const b = unpairedBaselines(inputs, 3, tgt, 4, 2, { k: 2 });
  assert.deepEqual(Array.from(b.nearest), [10, 10, 40, 40, 40, 40]);
  assert.deepEqual(Array.from(b.meanOfNearest), [15, 15, 35, 35, 35, 35]);
  assert.equal(b.k, 2);
  assert.throws(() => unpairedBaselines(inputs, 3, tgt, 3, 2), /expected 3 \/ 3 \/ 3 images of 2/);
});

test('ownPairShare: a translation that collapses every emoji onto one image keeps only that one', () => {
  const n = 6;
  const per = 3;
  const pairs = levels(n, per, () => 0);
  const collapsed = new Float32Array(n * per).fill(2); // all outputs look like emoji 2
  // output i (at level 2) beats pair j when |2 − i| < |2 − j|: count those over i ≠ j
  let wins = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j !== i && Math.abs(2 - i) < Math.abs(2 - j)) wins++;
  const s = ownPairShare(collapsed, pairs, n, per);
  close(s.pairwise, wins / (n * (n - 1)));
  close(s.nearest, 1 / n);
  // equal distance to two pairs is a miss: the output must be strictly nearer its own
  const between = new Float32Array(2 * per).fill(0.5);
  assert.deepEqual(ownPairShare(between, levels(2, per, () => 0), 2, per), { pairwise: 0, nearest: 0 });
});

test('pairedTranslationFigures / meanAbsChange: sizes are checked', () => {
  const a = new Float32Array(8);
  assert.throws(() => pairedTranslationFigures(a, new Float32Array(7), a, 2, 4), /outputs has 7 values, expected 2 images of 4/);
  assert.throws(() => pairedTranslationFigures(new Float32Array(4), new Float32Array(4), new Float32Array(4), 1, 4), /expected at least 2/);
  assert.throws(() => meanAbsChange(a, new Float32Array(4)), /8 and 4 values/);
  close(meanAbsChange(Float32Array.from([0, 1, -1]), Float32Array.from([1, 1, 1])), 1);
});

test('domain dataset: both train splits labelled 0 (source) / 1 (target); different shapes refused naming both', () => {
  const img = (h: number, c: 1 | 3, count: number, v: number) =>
    makeImageDataset({ name: `d${h}x${c}v${v}`, image: { height: h, width: h, channels: c }, train: { count, pixels: new Uint8Array(count * h * h * c).fill(v) }, flip: false });
  const s = img(4, 3, 2, 10);
  const t = img(4, 3, 3, 200);
  const d = domainDataset(s, t);
  assert.equal(d.train.count, 5);
  assert.deepEqual(Array.from(d.train.labels!), [0, 0, 1, 1, 1]);
  assert.equal(d.train.pixels[0], 10);
  assert.equal(d.train.pixels[2 * 48], 200);
  assert.deepEqual(d.classNames, [s.name, t.name]);
  assert.equal(domainSplit(s.train, t.train).count, 5);
  assert.throws(
    () => domainDataset(img(4, 3, 2, 0), img(8, 3, 2, 0)),
    (e: unknown) => e instanceof DataError && /d4x3v0 has 4×4×3 images, d8x3v0 has 8×8×3/.test((e as Error).message),
  );
});

test('gaussianBlur: constants stay, a point spreads symmetrically and keeps its sum, channels stay apart', () => {
  const shape = { height: 9, width: 9, channels: 2 };
  const flat = new Float32Array(2 * 9 * 9 * 2).fill(0.7);
  for (const v of gaussianBlur(flat, 2, shape, 1)) close(v, 0.7, 1e-6);
  const point = new Float32Array(9 * 9 * 2);
  point[(4 * 9 + 4) * 2] = 1; // channel 0 at the centre
  const b = gaussianBlur(point, 1, shape, 1);
  let sum0 = 0;
  let sum1 = 0;
  for (let i = 0; i < 81; i++) {
    sum0 += b[2 * i];
    sum1 += b[2 * i + 1];
  }
  close(sum0, 1, 1e-5);
  close(sum1, 0);
  const at = (y: number, x: number) => b[(y * 9 + x) * 2];
  close(at(4, 3), at(4, 5));
  close(at(3, 4), at(5, 4));
  close(at(4, 3), at(3, 4));
  // 1-D weights ∝ exp(−d²/2): the centre over its neighbour is e^{1/2}
  close(at(4, 4) / at(4, 3), Math.exp(0.5), 1e-5);
  assert.throws(() => gaussianBlur(point, 2, shape), /162 values, expected 2 images/);
});
