import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { FileWriteError } from '../../src/util/fs-atomic.js';
import { assertDataError } from '../helpers/assert.js';
import {
  RING_RADII,
  TOY_DATASETS,
  TOY_DATASET_NAMES,
  formatFloat32,
  loadCsvPoints,
  resolveDataset,
  writeCsvPoints,
} from '../../src/data/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'dggf-data-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
function csvFile(content: string, name?: string): string {
  const f = join(tmp, name ?? `f${++fileNo}.csv`);
  writeFileSync(f, content);
  return f;
}


// ---- toy generators -------------------------------------------------------------------------

const BOUNDS: Record<string, number> = {
  '8gaussians': 1.6,
  '25gaussians': 1.6,
  swissroll: 2.3,
  checkerboard: 4,
  moons: 4,
  rings: 3.6,
  pinwheel: 6,
  '2spirals': 4,
  circles: 3.4,
  spiral: 3.4,
  segments: 3,
};

test('every toy generator: shape, finite, documented scale, any n', () => {
  assert.deepEqual(
    [...TOY_DATASET_NAMES].sort(),
    ['25gaussians', '2spirals', '8gaussians', 'checkerboard', 'circles', 'moons', 'pinwheel', 'rings', 'segments', 'spiral', 'swissroll'],
  );
  for (const name of TOY_DATASET_NAMES) {
    const { generate } = TOY_DATASETS[name];
    for (const n of [0, 1, 7, 5000]) {
      const p = generate(n, new Rng(11));
      assert.ok(p instanceof Float32Array, name);
      assert.equal(p.length, 2 * n, `${name} n=${n}`);
      for (const v of p) {
        assert.ok(Number.isFinite(v), `${name}: non-finite ${v}`);
        assert.ok(Math.abs(v) <= BOUNDS[name], `${name}: ${v} outside ±${BOUNDS[name]}`);
      }
    }
    assert.throws(() => generate(-1, new Rng(1)), RangeError);
    assert.throws(() => generate(2.5, new Rng(1)), RangeError);
  }
});

test('toy generators are deterministic from the seed', () => {
  for (const name of TOY_DATASET_NAMES) {
    const g = TOY_DATASETS[name].generate;
    assert.deepEqual(g(300, new Rng(5)), g(300, new Rng(5)), name);
    assert.notDeepEqual(g(300, new Rng(5)), g(300, new Rng(6)), name);
  }
});

function nearestMode(p: Float32Array, i: number, modes: Float32Array): { k: number; d: number } {
  let k = -1;
  let best = Infinity;
  for (let c = 0; c < modes.length / 2; c++) {
    const d = Math.hypot(p[2 * i] - modes[2 * c], p[2 * i + 1] - modes[2 * c + 1]);
    if (d < best) {
      best = d;
      k = c;
    }
  }
  return { k, d: best };
}

test('8gaussians: samples within 0.1 of a mode, all 8 modes hit ~1/8, noise std 0.02/1.414', () => {
  const spec = TOY_DATASETS['8gaussians'];
  assert.ok(spec.modes && spec.modeStd);
  assert.equal(spec.modes.length, 16);
  assert.ok(Math.abs(spec.modeStd - 0.02 / 1.414) < 1e-12);
  for (let c = 0; c < 8; c++) {
    assert.ok(Math.abs(Math.hypot(spec.modes[2 * c], spec.modes[2 * c + 1]) - 2 / 1.414) < 1e-6);
  }
  const n = 16000;
  const p = spec.generate(n, new Rng(1));
  const counts = new Array(8).fill(0);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const { k, d } = nearestMode(p, i, spec.modes);
    assert.ok(d < 0.1, `sample ${i} is ${d} from its nearest mode`);
    counts[k]++;
    ss += (p[2 * i] - spec.modes[2 * k]) ** 2 + (p[2 * i + 1] - spec.modes[2 * k + 1]) ** 2;
  }
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 8) < 0.015, `mode fraction ${c / n}`);
  const std = Math.sqrt(ss / (2 * n));
  assert.ok(Math.abs(std / spec.modeStd - 1) < 0.03, `per-coordinate std ${std}`);
});

test('25gaussians: 5×5 grid /2.828, every mode hit, samples near a mode', () => {
  const spec = TOY_DATASETS['25gaussians'];
  assert.ok(spec.modes && spec.modeStd);
  assert.equal(spec.modes.length, 50);
  const xs = new Set([...spec.modes].map((v) => v.toFixed(4)));
  assert.deepEqual([...xs].sort(), ['-0.7072', '-1.4144', '0.0000', '0.7072', '1.4144']);
  const n = 25000;
  const p = spec.generate(n, new Rng(2));
  const counts = new Array(25).fill(0);
  for (let i = 0; i < n; i++) {
    const { k, d } = nearestMode(p, i, spec.modes);
    assert.ok(d < 0.12, `sample ${i} is ${d} from its nearest mode`);
    counts[k]++;
  }
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 25) < 0.01, `mode fraction ${c / n}`);
});

test('swissroll: radius·7.5 lies on t ∈ [1.5π, 4.5π] up to noise, angle follows t', () => {
  const n = 5000;
  const p = TOY_DATASETS.swissroll.generate(n, new Rng(3));
  let onCurve = 0;
  for (let i = 0; i < n; i++) {
    const x = p[2 * i] * 7.5;
    const z = p[2 * i + 1] * 7.5;
    const r = Math.hypot(x, z);
    assert.ok(r > 1.5 * Math.PI - 1.5 && r < 4.5 * Math.PI + 1.5, `radius ${r}`);
    // the point (t cos t, t sin t) has polar angle ≡ t ≡ r (mod 2π) when the noise is small
    let diff = (Math.atan2(z, x) - r) % (2 * Math.PI);
    if (diff > Math.PI) diff -= 2 * Math.PI;
    if (diff < -Math.PI) diff += 2 * Math.PI;
    if (Math.abs(diff) < 0.5) onCurve++;
  }
  assert.ok(onCurve / n > 0.9, `only ${onCurve / n} on the spiral`);
});

test('checkerboard: every point in a "black" 2×2 cell of [−4, 4)², all 8 cells populated', () => {
  const n = 8000;
  const p = TOY_DATASETS.checkerboard.generate(n, new Rng(4));
  const cells = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const cx = Math.floor(p[2 * i] / 2);
    const cy = Math.floor(p[2 * i + 1] / 2);
    assert.equal((((cx + cy) % 2) + 2) % 2, 0, `point (${p[2 * i]}, ${p[2 * i + 1]}) in a white cell`);
    assert.ok(p[2 * i] >= -4 && p[2 * i] < 4 && p[2 * i + 1] >= -4 && p[2 * i + 1] < 4);
    const key = `${cx},${cy}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  assert.equal(cells.size, 8);
  for (const c of cells.values()) assert.ok(Math.abs(c / n - 1 / 8) < 0.02);
});

test('rings: radii 3, 2.25, 1.5, 0.75 with n split evenly', () => {
  assert.deepEqual([...RING_RADII], [3, 2.25, 1.5, 0.75]);
  const n = 4001;
  const p = TOY_DATASETS.rings.generate(n, new Rng(5));
  const counts = [0, 0, 0, 0];
  const sq = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const r = Math.hypot(p[2 * i], p[2 * i + 1]);
    let k = 0;
    for (let j = 1; j < 4; j++) if (Math.abs(r - RING_RADII[j]) < Math.abs(r - RING_RADII[k])) k = j;
    assert.ok(Math.abs(r - RING_RADII[k]) < 0.37, `radius ${r}`);
    counts[k]++;
    sq[k] += (r - RING_RADII[k]) ** 2;
  }
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(counts[k] - n / 4) <= 5, `ring ${k}: ${counts[k]}`);
  const radialStd = Math.sqrt(sq.reduce((a, b) => a + b) / n);
  assert.ok(Math.abs(radialStd - 0.08) < 0.008, `radial std ${radialStd}`);
  // shuffled: the first quarter is not all on the outer ring
  let outerFirst = 0;
  for (let i = 0; i < 1000; i++) if (Math.hypot(p[2 * i], p[2 * i + 1]) > 2.6) outerFirst++;
  assert.ok(outerFirst < 400);
});

test('moons: mean ≈ (0, 0.3), two crescents', () => {
  const n = 6000;
  const p = TOY_DATASETS.moons.generate(n, new Rng(6));
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += p[2 * i];
    my += p[2 * i + 1];
  }
  mx /= n;
  my /= n;
  assert.ok(Math.abs(mx) < 0.03 && Math.abs(my - 0.3) < 0.03, `mean (${mx}, ${my})`);
  // each point is near the outer circle (centre (−1, −0.2), r 2) or the inner (centre (1, 0.8), r 2)
  for (let i = 0; i < n; i++) {
    const x = p[2 * i];
    const y = p[2 * i + 1];
    const dOuter = Math.abs(Math.hypot(x + 1, y + 0.2) - 2);
    const dInner = Math.abs(Math.hypot(x - 1, y - 0.8) - 2);
    assert.ok(Math.min(dOuter, dInner) < 1, `point (${x}, ${y})`);
  }
});

test('pinwheel: 5 arms, radius/2 ≈ N(1, 0.3), angle follows −(2πc/5 + 0.25·e^{r/2})', () => {
  const n = 5000;
  const p = TOY_DATASETS.pinwheel.generate(n, new Rng(7));
  let meanR = 0;
  let onArm = 0;
  const armCounts = new Array(5).fill(0);
  const sector = (2 * Math.PI) / 5;
  for (let i = 0; i < n; i++) {
    const x = p[2 * i] / 2;
    const y = p[2 * i + 1] / 2;
    const r = Math.hypot(x, y);
    meanR += r;
    const a = -Math.atan2(y, x) - 0.25 * Math.exp(r);
    const c = Math.round(a / sector);
    const resid = a - c * sector;
    if (Math.abs(resid) < 0.25) {
      onArm++;
      armCounts[((c % 5) + 5) % 5]++;
    }
  }
  meanR /= n;
  assert.ok(Math.abs(meanR - 1) < 0.05, `mean radius/2 ${meanR}`);
  assert.ok(onArm / n > 0.8, `${onArm / n} on an arm`);
  for (const c of armCounts) assert.ok(c > 0.15 * onArm, `arm counts ${armCounts}`);
});

test('2spirals: the two halves mirror each other, radius·3 ≲ 3π', () => {
  const n = 6000;
  const p = TOY_DATASETS['2spirals'].generate(n, new Rng(8));
  const m = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const h = i < n / 2 ? 0 : 2;
    m[h] += p[2 * i] / (n / 2);
    m[h + 1] += p[2 * i + 1] / (n / 2);
    assert.ok(Math.hypot(p[2 * i], p[2 * i + 1]) * 3 < 3 * Math.PI + 2);
  }
  assert.ok(Math.abs(m[0] + m[2]) < 0.1 && Math.abs(m[1] + m[3]) < 0.1, `half means ${m}`);
  // the first half's mean is pulled to (+, +) by the + u·0.5 offsets (and spiral geometry)
  assert.ok(Math.hypot(m[0], m[1]) > 0.05);
});

// ---- CSV ----------------------------------------------------------------------------------

test('circles: radius 1 or 3 (noise std 0.05), half the points on each', () => {
  const p = TOY_DATASETS.circles.generate(20000, new Rng(8));
  let inner = 0;
  let ss = 0;
  for (let i = 0; i < 20000; i++) {
    const r = Math.hypot(p[2 * i], p[2 * i + 1]);
    const d = Math.abs(r - 1) < Math.abs(r - 3) ? r - 1 : r - 3;
    if (Math.abs(r - 1) < 1) inner++;
    assert.ok(Math.abs(d) < 0.3, `radius ${r}`);
    ss += d * d;
  }
  assert.ok(Math.abs(inner / 20000 - 0.5) < 0.02, `inner share ${inner / 20000}`);
  // radial spread of 2-D noise of std σ on a circle ≈ σ
  assert.ok(Math.abs(Math.sqrt(ss / 20000) - 0.05) < 0.005, `radial std ${Math.sqrt(ss / 20000)}`);
});

test('spiral: uniform along its length, so P(radius < ρ) ≈ (ρ² − 0.3²)/(3² − 0.3²); angle grows with radius', () => {
  const p = TOY_DATASETS.spiral.generate(20000, new Rng(9));
  for (const rho of [1, 1.65, 2.5]) {
    let below = 0;
    for (let i = 0; i < 20000; i++) if (Math.hypot(p[2 * i], p[2 * i + 1]) < rho) below++;
    const want = (rho * rho - 0.09) / (9 - 0.09);
    assert.ok(Math.abs(below / 20000 - want) < 0.03, `P(r < ${rho}) = ${below / 20000}, expected ≈ ${want.toFixed(3)}`);
  }
  // r = 0.3 + 2.7·θ/(5π): a point's angle matches one of the turns through its radius
  for (let i = 0; i < 2000; i++) {
    const r = Math.hypot(p[2 * i], p[2 * i + 1]);
    const a = Math.atan2(p[2 * i + 1], p[2 * i]);
    let best = Infinity;
    for (let turn = -1; turn <= 3; turn++) {
      const theta = a + 2 * Math.PI * turn;
      best = Math.min(best, Math.abs(r - (0.3 + (2.7 * theta) / (5 * Math.PI))));
    }
    assert.ok(best < 0.25 || r < 0.5, `point ${i}: radius ${r} is ${best} off the spiral`);
  }
});

test('segments: every point near one of 9 segments of length 1.5 at (−2, 0, 2)², alternating orientation, ~1/9 each', () => {
  const p = TOY_DATASETS.segments.generate(18000, new Rng(10));
  const counts = new Array(9).fill(0);
  for (let i = 0; i < 18000; i++) {
    const [x, y] = [p[2 * i], p[2 * i + 1]];
    const col = Math.round(x / 2) + 1;
    const row = Math.round(y / 2) + 1;
    const [cx, cy] = [2 * (col - 1), 2 * (row - 1)];
    const horizontal = (col + row) % 2 === 0;
    const along = horizontal ? x - cx : y - cy;
    const across = horizontal ? y - cy : x - cx;
    assert.ok(Math.abs(across) < 0.3 && Math.abs(along) < 0.75 + 0.3, `(${x}, ${y})`);
    counts[3 * row + col]++;
  }
  for (const c of counts) assert.ok(Math.abs(c / 18000 - 1 / 9) < 0.015, `segment share ${c / 18000}`);
});

test('CSV: header detected, comments/blank lines skipped, CRLF and BOM ok', () => {
  const f = csvFile('\ufeff# points\r\nx,y\r\n\r\n1,2\r\n# mid comment\r\n3.5, -4e-1\r\n');
  const r = loadCsvPoints(f);
  assert.deepEqual(r.header, ['x', 'y']);
  assert.equal(r.n, 2);
  assert.equal(r.dim, 2);
  assert.deepEqual([...r.points], [1, 2, 3.5, Math.fround(-0.4)]);
});

test('CSV: no header; tab, semicolon, whitespace delimiters; quoted header; 1 and 3 columns', () => {
  const a = loadCsvPoints(csvFile('1,2\n3,4\n'));
  assert.equal(a.header, undefined);
  assert.deepEqual([...a.points], [1, 2, 3, 4]);
  assert.deepEqual([...loadCsvPoints(csvFile('a\tb\n1\t2\n')).points], [1, 2]);
  assert.deepEqual([...loadCsvPoints(csvFile('1;2;3\n4;5;6\n')).points], [1, 2, 3, 4, 5, 6]);
  const w = loadCsvPoints(csvFile('  1   2 \n3 4\n'));
  assert.equal(w.dim, 2);
  assert.deepEqual([...w.points], [1, 2, 3, 4]);
  const q = loadCsvPoints(csvFile('"x","y"\n1,2\n'));
  assert.deepEqual(q.header, ['x', 'y']);
  const one = loadCsvPoints(csvFile('value\n1\n2\n3\n'));
  assert.equal(one.dim, 1);
  assert.equal(one.n, 3);
});

test('CSV errors: missing file, directory, empty, comments only, header only', () => {
  assertDataError(() => loadCsvPoints(join(tmp, 'nope.csv')), 'nope.csv', 'not found');
  const dir = join(tmp, 'adir');
  mkdirSync(dir);
  assertDataError(() => loadCsvPoints(dir), 'adir', 'directory');
  assertDataError(() => loadCsvPoints(csvFile('')), 'is empty', 'expected');
  assertDataError(() => loadCsvPoints(csvFile('# just a comment\n\n  \n')), 'is empty');
  assertDataError(() => loadCsvPoints(csvFile('x,y\n\n')), 'only a header row (line 1)', 'no data rows');
});

test('CSV errors: non-numeric field names line, column and value', () => {
  const f = csvFile('x,y\n1,2\n3,abc\n');
  assertDataError(() => loadCsvPoints(f), `${f} line 3: column 2 ('y') is 'abc', expected a number`);
  // a first row that is partly numeric is data, not a header
  assertDataError(() => loadCsvPoints(csvFile('x,2\n1,2\n')), "line 1: column 1 is 'x', expected a number", 'header');
  assertDataError(() => loadCsvPoints(csvFile('1,,2\n')), 'line 1: column 2 is empty, expected a number');
  assertDataError(() => loadCsvPoints(csvFile('1,0x10\n')), "column 2 is '0x10'");
});

test('CSV errors: ragged rows, NaN / Infinity, float32 overflow', () => {
  assertDataError(() => loadCsvPoints(csvFile('1,2\n3,4\n5,6,7\n')), 'line 3: got 3 columns', 'expected 2 as on line 1');
  assertDataError(() => loadCsvPoints(csvFile('a,b\n1\n')), 'line 2: got 1 column', 'expected 2 as on the header on line 1');
  assertDataError(() => loadCsvPoints(csvFile('1,2\nNaN,1\n')), "line 2: column 1 is 'NaN', expected a finite number");
  assertDataError(() => loadCsvPoints(csvFile('1,2\n1,-Infinity\n')), "line 2: column 2 is '-Infinity'", 'finite');
  assertDataError(() => loadCsvPoints(csvFile('1,inf\n')), "column 2 is 'inf'");
  assertDataError(() => loadCsvPoints(csvFile('1,1e39\n')), "column 2 is '1e39'", 'float32 range');
});

test('CSV write/read round-trip is exact for float32, atomic, header default x0..', () => {
  const rng = new Rng(9);
  const pts = rng.normalArray(300);
  for (let i = 0; i < pts.length; i += 7) pts[i] *= 1e-20;
  pts[1] = 0;
  pts[2] = 3.4e38;
  const f = join(tmp, 'out', 'rt.csv');
  mkdirSync(join(tmp, 'out'));
  writeCsvPoints(f, pts, 3);
  const text = readFileSync(f, 'utf8');
  assert.ok(text.startsWith('x0,x1,x2\n'));
  const back = loadCsvPoints(f);
  assert.deepEqual(back.header, ['x0', 'x1', 'x2']);
  assert.equal(back.n, 100);
  assert.deepEqual(back.points, pts);
  assert.deepEqual(readdirSync(join(tmp, 'out')), ['rt.csv']);
  writeCsvPoints(f, new Float32Array([1.5, 2]), 2, ['u', 'v']);
  assert.equal(readFileSync(f, 'utf8'), 'u,v\n1.5,2\n');
  assert.equal(formatFloat32(0.1), '0.1');
  assert.equal(formatFloat32(Math.fround(1 / 3)), '0.33333334');
  assertDataError(() => writeCsvPoints(f, new Float32Array(5), 2), 'not a whole number of rows');
  assertDataError(() => writeCsvPoints(f, new Float32Array(4), 2, ['a']), 'header has 1 names, expected 2');
  assertDataError(() => writeCsvPoints(f, [1, NaN], 2), 'row 1, column 2 is NaN');
  // a missing folder is a write failure naming the file (exit code 4 in the CLI), not bad data
  assert.throws(() => writeCsvPoints(join(tmp, 'no', 'such', 'dir.csv'), [1], 1), (e: unknown) => e instanceof FileWriteError && /dir\.csv.*ENOENT/.test(e.message));
  assert.deepEqual(readdirSync(join(tmp, 'out')), ['rt.csv']);
});

// ---- resolveDataset ----------------------------------------------------------------------------

test('resolveDataset: toy names carry modes; CSV files sample rows with replacement', () => {
  const toy = resolveDataset('8gaussians', { expectDim: 2 });
  assert.equal(toy.dim, 2);
  assert.equal(toy.modes?.length, 16);
  assert.ok(toy.modeStd && toy.modeStd > 0);
  assert.equal(toy.sample(10, new Rng(1)).length, 20);
  assert.equal(resolveDataset('moons').modes, undefined);

  const f = csvFile('x,y\n0,0\n1,10\n2,20\n');
  const ds = resolveDataset(f);
  assert.equal(ds.dim, 2);
  assert.deepEqual(ds.points, new Float32Array([0, 0, 1, 10, 2, 20]));
  const s = ds.sample(3000, new Rng(2));
  assert.equal(s.length, 6000);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) {
    assert.equal(s[2 * i + 1], 10 * s[2 * i], 'rows kept intact');
    counts[s[2 * i]]++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 100, `row counts ${counts}`);
  assert.deepEqual(ds.sample(50, new Rng(3)), ds.sample(50, new Rng(3)));
  // any existing file, whatever its extension
  assert.equal(resolveDataset(csvFile('1 2 3\n', 'pts.txt')).dim, 3);
});

test('resolveDataset errors: unknown name lists names, missing path, dim mismatch', () => {
  assertDataError(() => resolveDataset('9gaussians'), "'9gaussians'", '8gaussians', 'checkerboard', '2spirals', 'CSV');
  assertDataError(() => resolveDataset('Moons'), "did you mean 'moons'");
  assertDataError(() => resolveDataset(join(tmp, 'missing.csv')), 'missing.csv', 'not found');
  assertDataError(() => resolveDataset(''), 'expected a toy name');
  const f = csvFile('a,b,c\n1,2,3\n', 'data.csv');
  assertDataError(() => resolveDataset(f, { expectDim: 2 }), `${f} has 3 columns, expected 2 (the run was trained on 2-D data)`);
  assertDataError(() => resolveDataset('rings', { expectDim: 3 }), "dataset 'rings' is 2-D, expected 3");
  assertDataError(() => resolveDataset(csvFile('x,y\n1,q\n')), "column 2 ('y') is 'q'");
});
