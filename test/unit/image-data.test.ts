import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { Rng } from '../../src/util/rng.js';
import { assertDataError } from '../helpers/assert.js';
import type { ImageDataset } from '../../src/data/types.js';
import {
  FASHION_MNIST_DIR,
  IMAGE_DATASET_NAMES,
  compositeOnWhite,
  decodeImageFile,
  describeImageDataset,
  encodeIdx,
  encodeJpeg,
  encodePng,
  floatToBytes,
  imageToRgba,
  imagesToFloat,
  makeImageDataset,
  readIdxImages,
  readIdxLabels,
  resizeArea,
  resolveImageDataset,
  rgbaToSquareRgb,
} from '../../src/data/images/index.js';
import { readPixelCache, writePixelCache } from '../../src/data/images/cache.js';

const tmp = tempDir('image-data');
after(() => rmSync(tmp, { recursive: true, force: true }));
let dirNo = 0;
function newDir(name = 'd'): string {
  const d = path.join(tmp, `${name}${++dirNo}`);
  mkdirSync(d, { recursive: true });
  return d;
}


/** A w×h RGBA image; `gray` makes R = G = B. */
function makeRgba(w: number, h: number, seed: number, gray = false): Uint8Array {
  const rng = new Rng(seed);
  const px = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const r = rng.int(256);
    px[i * 4] = r;
    px[i * 4 + 1] = gray ? r : rng.int(256);
    px[i * 4 + 2] = gray ? r : rng.int(256);
    px[i * 4 + 3] = 255;
  }
  return px;
}

function writePng(file: string, w: number, h: number, seed: number, gray = false): void {
  writeFileSync(file, encodePng(makeRgba(w, h, seed, gray), w, h));
}

function writeJpeg(file: string, w: number, h: number, seed: number, gray = false): void {
  writeFileSync(file, encodeJpeg(makeRgba(w, h, seed, gray), w, h, 90));
}

// ---- IDX ------------------------------------------------------------------------------------

function idxFixture(dir: string, prefix: string, n: number, gz: boolean, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const pixels = Uint8Array.from({ length: n * 5 * 4 }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, () => rng.int(3));
  const ext = gz ? '.gz' : '';
  const enc = (b: Uint8Array): Uint8Array => (gz ? gzipSync(b) : b);
  writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte${ext}`), enc(encodeIdx([n, 5, 4], pixels)));
  writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte${ext}`), enc(encodeIdx([n], labels)));
  return { pixels, labels };
}

test('IDX files round-trip, plain and gzipped (detected by magic, not name)', () => {
  for (const gz of [false, true]) {
    const dir = newDir('idx');
    const { pixels, labels } = idxFixture(dir, 'train', 7, gz, 1);
    const ext = gz ? '.gz' : '';
    const img = readIdxImages(path.join(dir, `train-images-idx3-ubyte${ext}`));
    assert.deepEqual([img.count, img.height, img.width], [7, 5, 4]);
    assert.deepEqual(Array.from(img.pixels), Array.from(pixels));
    assert.deepEqual(Array.from(readIdxLabels(path.join(dir, `train-labels-idx1-ubyte${ext}`))), Array.from(labels));
  }
  // A gzipped file without .gz in its name still reads.
  const dir = newDir('idx');
  const px = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i);
  const f = path.join(dir, 'odd-name.bin');
  writeFileSync(f, gzipSync(encodeIdx([2, 3, 3], px)));
  assert.deepEqual(Array.from(readIdxImages(f).pixels), Array.from(px));
});

test('an IDX file as a dataset: labels and train/t10k counterpart found next to it', () => {
  const dir = newDir('idxds');
  const tr = idxFixture(dir, 'train', 12, true, 2);
  const te = idxFixture(dir, 't10k', 4, false, 3);
  const spec = path.join(dir, 'train-images-idx3-ubyte.gz');
  const ds = resolveImageDataset(spec, {});
  assert.ok(ds);
  assert.equal(ds.kind, 'image');
  assert.equal(ds.name, spec);
  assert.deepEqual(ds.image, { height: 5, width: 4, channels: 1 });
  assert.equal(ds.dim, 20);
  assert.equal(ds.points, undefined);
  assert.equal(ds.train.count, 12);
  assert.equal(ds.test?.count, 4);
  assert.deepEqual(Array.from(ds.train.labels ?? []), Array.from(tr.labels));
  assert.deepEqual(Array.from(ds.test?.labels ?? []), Array.from(te.labels));
  assert.deepEqual(Array.from(ds.test?.pixels ?? []), Array.from(te.pixels));
  assert.ok(ds.classNames && ds.classNames.length >= 1 && ds.classNames.length <= 3);

  // Alone (no labels, no counterpart): unlabelled, no test split.
  const lone = newDir('idxlone');
  writeFileSync(path.join(lone, 'x-images-idx3-ubyte'), encodeIdx([3, 2, 2], new Uint8Array(12)));
  const ds2 = resolveImageDataset(path.join(lone, 'x-images-idx3-ubyte'), {});
  assert.ok(ds2);
  assert.equal(ds2.test, undefined);
  assert.equal(ds2.train.labels, undefined);
  assert.equal(ds2.classNames, undefined);

  // size resizes (28 → 32 style), with a note.
  const ds3 = resolveImageDataset(spec, { size: 8 });
  assert.ok(ds3);
  assert.deepEqual(ds3.image, { height: 8, width: 8, channels: 1 });
  assert.equal(ds3.train.pixels.length, 12 * 64);
  assert.ok(ds3.notes.some((n) => n.includes('resized to 8×8')), ds3.notes.join('; '));
});

test('truncated, corrupt and wrong-kind IDX files are DataErrors naming the file', () => {
  const dir = newDir('idxbad');
  const full = encodeIdx([4, 3, 3], new Uint8Array(36));
  const trunc = path.join(dir, 'trunc-images-idx3-ubyte');
  writeFileSync(trunc, full.subarray(0, full.length - 5));
  assertDataError(() => readIdxImages(trunc), trunc, 'truncated', '36');
  assertDataError(() => resolveImageDataset(trunc, {}), trunc, 'truncated');

  const truncGz = path.join(dir, 'truncgz-images-idx3-ubyte.gz');
  const gz = gzipSync(full);
  writeFileSync(truncGz, gz.subarray(0, gz.length - 8));
  assertDataError(() => readIdxImages(truncGz), truncGz);

  const corruptGz = path.join(dir, 'corrupt-images-idx3-ubyte.gz');
  const bad = Buffer.from(gz);
  bad.fill(0xaa, 10, 30);
  writeFileSync(corruptGz, bad);
  assertDataError(() => readIdxImages(corruptGz), corruptGz, 'gzip');

  const magic = path.join(dir, 'magic-images-idx3-ubyte');
  writeFileSync(magic, Buffer.from('hello, this is not an IDX file at all'));
  assertDataError(() => readIdxImages(magic), magic, 'magic', 'idx3');
  assertDataError(() => resolveImageDataset(magic, {}), magic, 'expected');

  const floats = path.join(dir, 'float-images-idx3-ubyte');
  const fl = encodeIdx([1, 1, 1], new Uint8Array(1));
  fl[2] = 0x0d;
  writeFileSync(floats, fl);
  assertDataError(() => readIdxImages(floats), floats, '0x0d', 'unsigned byte');

  const labels = path.join(dir, 'train-labels-idx1-ubyte');
  writeFileSync(labels, encodeIdx([5], new Uint8Array(5)));
  assertDataError(() => readIdxImages(labels), labels, 'label file');
  assertDataError(() => resolveImageDataset(labels, {}), labels, 'idx3');

  const extra = path.join(dir, 'extra-images-idx3-ubyte');
  writeFileSync(extra, Buffer.concat([full, Buffer.from([1, 2, 3])]));
  assertDataError(() => readIdxImages(extra), extra, 'extra');

  // A label count that does not match the images.
  const mm = newDir('idxmm');
  writeFileSync(path.join(mm, 'train-images-idx3-ubyte'), encodeIdx([4, 2, 2], new Uint8Array(16)));
  writeFileSync(path.join(mm, 'train-labels-idx1-ubyte'), encodeIdx([3], new Uint8Array(3)));
  assertDataError(
    () => resolveImageDataset(path.join(mm, 'train-images-idx3-ubyte'), {}),
    path.join(mm, 'train-labels-idx1-ubyte'),
    '3 labels',
    'expected 4',
  );

  const missing = path.join(dir, 'nope-images-idx3-ubyte.gz');
  assertDataError(() => resolveImageDataset(missing, {}), missing, 'not found');
});

// ---- resampling -------------------------------------------------------------------------------

test('area resize averages blocks; centre crop; compositing on white', () => {
  // 4×4 one-channel → 2×2: block means.
  const src = Float32Array.from([0, 2, 10, 20, 4, 6, 30, 40, 1, 1, 5, 5, 1, 1, 5, 5]);
  assert.deepEqual(Array.from(resizeArea(src, 4, 4, 1, 2, 2)), [3, 25, 1, 5]);
  // 3 → 2: fractional overlaps, mean preserved.
  const r = resizeArea(Float32Array.from([0, 3, 6]), 3, 1, 1, 2, 1);
  assert.ok(Math.abs(r[0] - 1) < 1e-5 && Math.abs(r[1] - 5) < 1e-5, String(Array.from(r)));
  // A 6×2 RGBA image centre-crops to columns 2–3.
  const rgba = new Uint8Array(6 * 2 * 4).fill(255);
  for (let y = 0; y < 2; y++) for (let x = 2; x < 4; x++) rgba.fill(0, (y * 6 + x) * 4, (y * 6 + x) * 4 + 3);
  const { rgb, changed } = rgbaToSquareRgb(rgba, 6, 2, 2);
  assert.equal(changed, true);
  assert.deepEqual(Array.from(rgb), new Array(12).fill(0));
  // Transparent → white; half-transparent black → mid grey.
  const c = compositeOnWhite(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 102]), 3, 1);
  assert.deepEqual(Array.from(c.subarray(0, 6)), [255, 255, 255, 0, 0, 0]);
  assert.ok(Math.abs(c[6] - 153) < 1e-3);
});

// ---- image folders ----------------------------------------------------------------------------

test('a folder of PNG and JPEG images: mixed sizes resized with a note, RGB, held-out split', () => {
  const dir = newDir('folder');
  for (let i = 0; i < 24; i++) {
    const f = path.join(dir, `img${String(i).padStart(2, '0')}`);
    if (i % 3 === 0) writeJpeg(`${f}.JPG`, 16, 16, i);
    else if (i % 3 === 1) writePng(`${f}.png`, 16, 16, i);
    else writePng(`${f}.png`, 40, 24, i); // other size, not square
  }
  writeFileSync(path.join(dir, 'readme.txt'), 'not an image');
  writePng(path.join(dir, '.hidden.png'), 3, 3, 99);
  const ds = resolveImageDataset(dir, { size: 16 });
  assert.ok(ds);
  assert.equal(ds.name, dir);
  assert.deepEqual(ds.image, { height: 16, width: 16, channels: 3 });
  assert.equal(ds.train.count + (ds.test?.count ?? 0), 24);
  assert.equal(ds.test?.count, 2);
  assert.equal(ds.train.labels, undefined);
  assert.equal(ds.flip, true);
  assert.ok(ds.notes.includes('8 of 24 images were not 16×16 and were centre-cropped and resized'), ds.notes.join('; '));
  // A 16×16 PNG comes through untouched (img01 is train image 1).
  const want = makeRgba(16, 16, 1);
  const got = ds.train.pixels.subarray(16 * 16 * 3, 2 * 16 * 16 * 3);
  for (let p = 0; p < 256; p++) for (let c = 0; c < 3; c++) assert.equal(got[p * 3 + c], want[p * 4 + c]);
  // JPEG decodes close to its source.
  const j = decodeImageFile(path.join(dir, 'img00.JPG'));
  assert.equal(j.format, 'jpeg');
  assert.deepEqual([j.width, j.height], [16, 16]);
  assert.match(describeImageDataset(ds), /22 train \/ 2 test images, 16×16×3/);
});

test('greyscale-only folder → 1 channel; mixed grey/colour → 3 channels', () => {
  const g = newDir('grey');
  writePng(path.join(g, 'a.png'), 8, 8, 1, true);
  writeJpeg(path.join(g, 'b.jpeg'), 8, 8, 2, true);
  writePng(path.join(g, 'c.png'), 12, 12, 3, true);
  const dg = resolveImageDataset(g, { size: 8 });
  assert.ok(dg);
  assert.equal(dg.image.channels, 1);
  assert.equal(dg.dim, 64);
  assert.equal(dg.test, undefined);
  const a = makeRgba(8, 8, 1, true);
  assert.deepEqual(Array.from(dg.train.pixels.subarray(0, 64)), Array.from({ length: 64 }, (_, i) => a[i * 4]));

  const m = newDir('mixed');
  writePng(path.join(m, 'a.png'), 8, 8, 1, true);
  writePng(path.join(m, 'b.png'), 8, 8, 2, false);
  const dm = resolveImageDataset(m, { size: 8 });
  assert.ok(dm);
  assert.equal(dm.image.channels, 3);
  assert.equal(dm.train.pixels.length, 2 * 8 * 8 * 3);
  // The grey one is expanded: R = G = B.
  for (let p = 0; p < 64; p++) {
    assert.equal(dm.train.pixels[p * 3], a[p * 4]);
    assert.equal(dm.train.pixels[p * 3 + 2], a[p * 4]);
  }
  assert.ok(dm.notes.some((n) => n.includes('expanded to RGB')));
});

test('sub-folders become classes (ImageFolder convention), recursive', () => {
  const d = newDir('classes');
  for (const [cls, n] of [['cats', 12], ['dogs', 10]] as const) {
    mkdirSync(path.join(d, cls, 'nested'), { recursive: true });
    for (let i = 0; i < n; i++) writePng(path.join(d, cls, i % 2 ? 'nested' : '', `${i}.png`), 4, 4, i);
  }
  writePng(path.join(d, 'loose.png'), 4, 4, 7);
  const ds = resolveImageDataset(d, { size: 4 });
  assert.ok(ds);
  assert.deepEqual(ds.classNames, ['cats', 'dogs']);
  assert.equal(ds.train.count + (ds.test?.count ?? 0), 22);
  const all = [...(ds.train.labels ?? []), ...(ds.test?.labels ?? [])];
  assert.equal(all.filter((l) => l === 0).length, 12);
  assert.equal(all.filter((l) => l === 1).length, 10);
  assert.ok(ds.notes.some((n) => n.includes('1 image directly in')), ds.notes.join('; '));
  // One sub-folder only: unlabelled.
  const one = newDir('onesub');
  mkdirSync(path.join(one, 'only'));
  writePng(path.join(one, 'only', 'a.png'), 4, 4, 1);
  writePng(path.join(one, 'b.png'), 4, 4, 2);
  const d1 = resolveImageDataset(one, { size: 4 });
  assert.ok(d1);
  assert.equal(d1.train.count, 2);
  assert.equal(d1.classNames, undefined);
});

test('folder errors: empty folder, corrupt PNG, bad size — DataErrors naming the file/folder', () => {
  const empty = newDir('empty');
  writeFileSync(path.join(empty, 'notes.txt'), 'x');
  assertDataError(() => resolveImageDataset(empty, {}), empty, 'no images', '.png', '.jpg', '.jpeg');

  const bad = newDir('corrupt');
  writePng(path.join(bad, 'good.png'), 4, 4, 1);
  const png = encodePng(makeRgba(4, 4, 2), 4, 4);
  const broken = path.join(bad, 'broken.png');
  writeFileSync(broken, png.subarray(0, 40));
  assertDataError(() => resolveImageDataset(bad, {}), broken, 'PNG');

  const fake = newDir('fake');
  const notJpeg = path.join(fake, 'photo.jpg');
  writeFileSync(notJpeg, 'this is text');
  assertDataError(() => resolveImageDataset(fake, {}), notJpeg, 'PNG or JPEG');

  const badJ = newDir('badjpeg');
  const jb = path.join(badJ, 'x.jpg');
  const j = encodeJpeg(makeRgba(8, 8, 1), 8, 8);
  writeFileSync(jb, j.subarray(0, 30));
  assertDataError(() => resolveImageDataset(badJ, {}), jb, 'JPEG');

  assertDataError(() => resolveImageDataset(bad, { size: 2 }), bad, 'size');
});

test('resolveImageDataset returns null for non-image specs', () => {
  assert.deepEqual([...IMAGE_DATASET_NAMES], ['mnist', 'fashion-mnist', 'emoji', 'emoji-google', 'emoji-twitter', 'emoji-category', 'openmoji-color', 'openmoji-black']);
  assert.equal(resolveImageDataset('8gaussians', {}), null);
  assert.equal(resolveImageDataset('no/such/file.csv', {}), null);
  const csv = path.join(newDir('csv'), 'pts.csv');
  writeFileSync(csv, 'x,y\n1,2\n');
  assert.equal(resolveImageDataset(csv, {}), null);
});

// ---- sampling and conversions -----------------------------------------------------------------

function tinyDataset(flip: boolean, dequantize: number): ImageDataset {
  // Two 2×3 RGB images with distinct, asymmetric pixels.
  const px = Uint8Array.from({ length: 2 * 18 }, (_, i) => (i * 37) % 256);
  return makeImageDataset({
    name: 'tiny',
    image: { height: 2, width: 3, channels: 3 },
    train: { count: 2, pixels: px },
    flip,
    dequantize,
  });
}

function flipped(img: Float32Array): Float32Array {
  const out = new Float32Array(18);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) out[(y * 3 + x) * 3 + c] = img[(y * 3 + (2 - x)) * 3 + c];
  return out;
}

test('sample(): in range, flips only when allowed, dequantisation std, seeded', () => {
  for (const flip of [false, true]) {
    const ds = tinyDataset(flip, 0);
    const clean = imagesToFloat(ds.train);
    const variants = [0, 1].flatMap((k) => {
      const img = clean.subarray(k * 18, (k + 1) * 18);
      return [Array.from(img), Array.from(flipped(img))];
    });
    const s = ds.sample(400, new Rng(5));
    assert.equal(s.length, 400 * 18);
    let nFlipped = 0;
    for (let i = 0; i < 400; i++) {
      const row = Array.from(s.subarray(i * 18, (i + 1) * 18));
      for (const v of row) assert.ok(v >= -1 && v <= 1);
      const which = variants.findIndex((v) => v.every((x, j) => x === row[j]));
      assert.ok(which >= 0, 'each sample is a training image, maybe flipped');
      if (which % 2 === 1) nFlipped++;
    }
    if (flip) assert.ok(nFlipped > 150 && nFlipped < 250, `flipped ${nFlipped}/400`);
    else assert.equal(nFlipped, 0);
  }
  // Dequantisation noise: std ≈ σ around the clean image; all values near [−1, 1].
  const sigma = 0.03;
  const one = makeImageDataset({
    name: 'one',
    image: { height: 4, width: 4, channels: 1 },
    train: { count: 1, pixels: Uint8Array.from({ length: 16 }, (_, i) => i * 17) },
    flip: false,
    dequantize: sigma,
  });
  const clean = imagesToFloat(one.train);
  const s = one.sample(2000, new Rng(9));
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s[i] - clean[i % 16];
    sum += d;
    sq += d * d;
    assert.ok(s[i] > -1 - 8 * sigma && s[i] < 1 + 8 * sigma);
  }
  const mean = sum / s.length;
  const std = Math.sqrt(sq / s.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.002, `mean ${mean}`);
  assert.ok(Math.abs(std - sigma) < 0.002, `std ${std}`);
  // Same seed → same output; another seed → different.
  const ds = tinyDataset(true, 0.03);
  assert.deepEqual(ds.sample(50, new Rng(3)), ds.sample(50, new Rng(3)));
  assert.notDeepEqual(ds.sample(50, new Rng(3)), ds.sample(50, new Rng(4)));
  assert.throws(() => ds.sample(-1, new Rng(1)), RangeError);
});

test('conversions: imagesToFloat, floatToBytes (clamped), imageToRgba', () => {
  const split = { count: 2, pixels: Uint8Array.from([0, 255, 128, 1]) };
  assert.deepEqual(Array.from(imagesToFloat(split, [1])), [128 / 127.5 - 1, 1 / 127.5 - 1].map(Math.fround));
  const f = imagesToFloat(split);
  assert.deepEqual(Array.from(floatToBytes(f)), [0, 255, 128, 1]);
  assert.deepEqual(Array.from(floatToBytes([-3, 3, 0, NaN])), [0, 255, 128, 0]);
  assert.deepEqual(Array.from(imageToRgba([-1, 1], { height: 1, width: 2, channels: 1 })), [0, 0, 0, 255, 255, 255, 255, 255]);
  assert.deepEqual(Array.from(imageToRgba([1, -1, 2], { height: 1, width: 1, channels: 3 })), [255, 0, 255, 255]);
  // A PNG written from it reads back.
  const file = path.join(newDir('png'), 'out.png');
  writeFileSync(file, encodePng(imageToRgba([1, -1, 0], { height: 1, width: 1, channels: 3 }), 1, 1));
  assert.deepEqual(Array.from(PNG.sync.read(readFileSync(file)).data), [255, 0, 128, 255]);
});

test('pixel cache: round trip, and rejected when truncated, altered or keyed otherwise', () => {
  const file = path.join(newDir('cache'), 'c.bin');
  const key = { source: 'x', version: '1', size: 2 };
  const pixels = Uint8Array.from({ length: 24 }, (_, i) => i);
  const labels = Int32Array.from([0, 1, 2, -1, 5, 6]);
  assert.equal(writePixelCache(file, { key, count: 6, itemBytes: 4, pixels, labels, meta: { classNames: ['a'] } }), undefined);
  const back = readPixelCache(file, key);
  assert.ok(back);
  assert.deepEqual(Array.from(back.pixels), Array.from(pixels));
  assert.deepEqual(Array.from(back.labels ?? []), Array.from(labels));
  assert.deepEqual(back.meta, { classNames: ['a'] });
  assert.equal(readPixelCache(file, { ...key, size: 3 }), undefined);
  const buf = readFileSync(file);
  writeFileSync(file, buf.subarray(0, buf.length - 1));
  assert.equal(readPixelCache(file, key), undefined);
  const alt = Buffer.from(buf);
  alt[alt.length - 3] ^= 1;
  writeFileSync(file, alt);
  assert.equal(readPixelCache(file, key), undefined);
  assert.equal(readPixelCache(path.join(tmp, 'missing.bin'), key), undefined);
});

// ---- the real datasets ------------------------------------------------------------------------

function checkLabels(ds: ImageDataset, k: number): void {
  for (const s of [ds.train, ds.test]) {
    assert.ok(s?.labels);
    assert.equal(s.labels.length, s.count);
    const seen = new Set(s.labels);
    assert.equal(seen.size, k);
    for (const l of seen) assert.ok(l >= 0 && l < k);
  }
}

test('mnist: 60000 / 10000 digits, 28×28×1, labels 0–9, no flips', () => {
  const t0 = performance.now();
  const ds = resolveImageDataset('mnist', {});
  const ms = performance.now() - t0;
  assert.ok(ds);
  assert.equal(ds.name, 'mnist');
  assert.equal(ds.train.count, 60000);
  assert.equal(ds.test?.count, 10000);
  assert.deepEqual(ds.image, { height: 28, width: 28, channels: 1 });
  assert.equal(ds.dim, 784);
  assert.equal(ds.flip, false);
  assert.equal(ds.dequantize, 0.03);
  assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  checkLabels(ds, 10);
  assert.equal(ds.train.labels?.[0], 5); // the famous first training digit
  const x = ds.sample(8, new Rng(1));
  assert.equal(x.length, 8 * 784);
  console.log(`mnist loaded in ${ms.toFixed(0)} ms`);
});

test('fashion-mnist: 60000 / 10000, 10 named classes, flips', { skip: !existsSync(path.join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')) }, () => {
  const t0 = performance.now();
  const ds = resolveImageDataset('fashion-mnist', {});
  const ms = performance.now() - t0;
  assert.ok(ds);
  assert.equal(ds.train.count, 60000);
  assert.equal(ds.test?.count, 10000);
  assert.deepEqual(ds.image, { height: 28, width: 28, channels: 1 });
  assert.equal(ds.flip, true);
  assert.equal(ds.classNames?.[0], 'T-shirt/top');
  assert.equal(ds.classNames?.[9], 'Ankle boot');
  checkLabels(ds, 10);
  console.log(`fashion-mnist loaded in ${ms.toFixed(0)} ms`);
});

test('fashion-mnist missing → DataError with the install hint', async () => {
  const { loadFashionMnist } = await import('../../src/data/images/mnist.js');
  const nowhere = path.join(tmp, 'no-fashion');
  assertDataError(() => loadFashionMnist({}, 'fashion-mnist', nowhere), 'apt-get install dataset-fashion-mnist', '--data');
});

test('emoji: ~3.4k train 32×32×3, 9 categories, cold decode then warm cache', () => {
  const prev = process.env.DGGF_CACHE;
  process.env.DGGF_CACHE = path.join(tmp, 'cache-emoji');
  try {
    let t0 = performance.now();
    const cold = resolveImageDataset('emoji', {});
    const coldMs = performance.now() - t0;
    t0 = performance.now();
    const warm = resolveImageDataset('emoji', {});
    const warmMs = performance.now() - t0;
    assert.ok(cold && warm);
    assert.deepEqual(cold.image, { height: 32, width: 32, channels: 3 });
    assert.ok(cold.train.count > 3300 && cold.train.count < 3500, String(cold.train.count));
    assert.ok(cold.test && cold.test.count > 350 && cold.test.count < 400, String(cold.test?.count));
    assert.equal(cold.flip, true);
    assert.ok(cold.classNames && cold.classNames.length === 9 && !cold.classNames.includes('Component'));
    assert.deepEqual([...(cold.classNames ?? [])], [...cold.classNames!].sort());
    checkLabels(cold, 9);
    assert.ok(cold.notes.some((n) => n.startsWith('decoded ')), cold.notes.join('; '));
    assert.ok(!warm.notes.some((n) => n.startsWith('decoded ')), warm.notes.join('; '));
    assert.deepEqual(warm.classNames, cold.classNames);
    assert.ok(Buffer.from(warm.train.pixels).equals(Buffer.from(cold.train.pixels)));
    assert.deepEqual(warm.train.labels, cold.train.labels);
    // Composited on white: the corners of emoji are mostly white.
    let white = 0;
    for (let i = 0; i < cold.train.count; i++) if (cold.train.pixels[i * 3072] === 255) white++;
    assert.ok(white > cold.train.count * 0.5, `${white} white corners`);
    const d64 = resolveImageDataset('emoji', { size: 64 });
    assert.deepEqual(d64?.image, { height: 64, width: 64, channels: 3 });
    assertDataError(() => resolveImageDataset('emoji', { size: 128 }), 'emoji', 'size');
    console.log(`emoji loaded cold in ${coldMs.toFixed(0)} ms, warm in ${warmMs.toFixed(0)} ms`);
  } finally {
    if (prev === undefined) delete process.env.DGGF_CACHE;
    else process.env.DGGF_CACHE = prev;
  }
});
