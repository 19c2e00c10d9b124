/** NearestRows: the exact nearest row, equal to a plain scan in row order (distance and index, ties to the lowest index). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { NearestRows } from '../../src/eval/nearest.js';

/** The plain scan: the first row (lowest index) at the smallest squared distance. */
function scan(x: Float32Array, i: number, ref: Float32Array, dim: number): { distance: number; index: number } {
  let best = Infinity;
  let at = -1;
  for (let j = 0; j < ref.length / dim; j++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += (x[i * dim + k] - ref[j * dim + k]) ** 2;
    if (s < best) {
      best = s;
      at = j;
    }
  }
  return { distance: Math.sqrt(best), index: at };
}

test('NearestRows equals a plain scan: distance and index, duplicate rows and grid ties to the lowest index, 1–300 dims', () => {
  const rng = new Rng(12);
  for (const dim of [1, 2, 3, 5, 300]) {
    // coordinates on a coarse grid (many ties, shared first coordinates), and some rows repeated
    const ref = Float32Array.from({ length: 400 * dim }, () => Math.round(rng.normal() * 2) / 2);
    for (const [to, from] of [[10, 3], [200, 3], [399, 150]]) ref.copyWithin(to * dim, from * dim, (from + 1) * dim);
    const queries = Float32Array.from({ length: 300 * dim }, (_, v) => (v < 150 * dim ? Math.round(rng.normal() * 2) / 2 : rng.normal()));
    queries.set(ref.subarray(3 * dim, 4 * dim), 0); // an exact copy of a repeated row: index 3, not 10 or 200
    const rows = new NearestRows(ref, dim);
    for (let i = 0; i < 300; i++) {
      const got = rows.nearest(queries, i);
      const want = scan(queries, i, ref, dim);
      assert.equal(got.index, want.index, `dim ${dim}, query ${i}`);
      assert.ok(Math.abs(got.distance - want.distance) < 1e-9, `dim ${dim}, query ${i}: ${got.distance} vs ${want.distance}`);
    }
    assert.deepEqual(rows.nearest(queries, 0), { distance: 0, index: 3 });
  }
});

test('NearestRows: NaN queries are infinitely far (index −1); rows that do not fit dim are refused', () => {
  const rows = new NearestRows(Float32Array.from([0, 0, 1, 1]), 2);
  assert.deepEqual(rows.nearest(Float32Array.from([NaN, 0]), 0), { distance: Infinity, index: -1 });
  assert.deepEqual(rows.nearest(Float32Array.from([0, NaN]), 0), { distance: Infinity, index: -1 });
  assert.throws(() => new NearestRows(Float32Array.from([1, 2, 3]), 2), /not rows of dim 2/);
});
