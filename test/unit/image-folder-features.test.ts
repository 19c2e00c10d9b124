/**
 * A user's image folder gets a feature net for FID/KID: with class sub-folders a classifier
 * of them; a flat folder (no labels) a net that tells which of 4 rotations was applied
 * (src/eval/rotation-task.ts). Rotations are exact, the rotated set is labelled and never
 * flipped, the net learns the task on a tiny folder, its FID tells real from noise, and
 * datasetFeatureNet trains it once, then loads it from the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { Rng } from '../../src/util/rng.js';
import { initEngine } from '../../src/engine/index.js';
import { DataError } from '../../src/data/types.js';
import { imagesToFloat, loadImageFolder } from '../../src/data/images/index.js';
import { ROTATION_CLASS_NAMES, rotateSquare, rotationDataset } from '../../src/eval/rotation-task.js';
import { defaultFeatureTask, imageMetrics, loadFeatureNet, trainFeatureNet } from '../../src/eval/features.js';
import { datasetFeatureNet, featureLocation } from '../../src/eval/dataset-features.js';

const TINY = { filters: [8, 16, 16], featureDim: 16 };

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dggf-${prefix}-`));
}

/**
 * n 8×8 grey PNGs of an upright "T" (a bar along the top, a stem down the middle), its
 * brightness and a one-pixel shift drawn at random, on a noisy dark background: a shape
 * whose rotations differ, as most real images' do.
 */
function writeTees(dir: string, n: number, seed: number, size = 8): void {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const png = new PNG({ width: size, height: size });
    const dx = rng.int(3) - 1;
    const top = 1 + rng.int(2);
    const v = 160 + rng.int(90);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const bar = y === top && x >= 1 + dx && x <= size - 2 + dx;
        const stem = y > top && y <= size - 2 && x === Math.floor(size / 2) + dx;
        const g = bar || stem ? v : Math.max(0, Math.min(255, 30 + Math.round(12 * rng.normal())));
        const o = (y * size + x) * 4;
        png.data[o] = png.data[o + 1] = png.data[o + 2] = g;
        png.data[o + 3] = 255;
      }
    }
    fs.writeFileSync(path.join(dir, `t${String(i).padStart(4, '0')}.png`), PNG.sync.write(png));
  }
}

test('rotateSquare: exact quarter turns counter-clockwise, 4 turns are the identity, channels move together', () => {
  // 3×3, 1 channel: rows [1 2 3; 4 5 6; 7 8 9]
  const a = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...rotateSquare(a, 3, 1, 0)], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // a counter-clockwise quarter turn brings the right column to the top row
  assert.deepEqual([...rotateSquare(a, 3, 1, 1)], [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  assert.deepEqual([...rotateSquare(a, 3, 1, 2)], [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.deepEqual([...rotateSquare(a, 3, 1, 3)], [7, 4, 1, 8, 5, 2, 9, 6, 3]);
  assert.deepEqual([...rotateSquare(rotateSquare(a, 3, 1, 1), 3, 1, 3)], [...a]);
  // RGB: each pixel's 3 bytes move as one
  const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i);
  const r1 = rotateSquare(rgb, 2, 3, 1);
  // top-left of the result is the original top-right pixel (bytes 3, 4, 5)
  assert.deepEqual([...r1.subarray(0, 3)], [3, 4, 5]);
  let x: Uint8Array = rgb;
  for (let k = 0; k < 4; k++) x = rotateSquare(x, 2, 3, 1);
  assert.deepEqual([...x], [...rgb]);
});

test('rotationDataset: every image in 4 rotations labelled 0–3, held-out split rotated too, never flipped; non-square is refused', () => {
  const dir = tmp('rot-set');
  try {
    writeTees(dir, 30, 1);
    const ds = loadImageFolder(dir, { size: 8 });
    assert.equal(ds.train.labels, undefined);
    assert.equal(defaultFeatureTask(ds), 'rotation');
    const rot = rotationDataset(ds);
    assert.equal(rot.train.count, 4 * ds.train.count);
    assert.equal(rot.test!.count, 4 * ds.test!.count);
    assert.deepEqual(rot.classNames, ROTATION_CLASS_NAMES);
    assert.equal(rot.flip, false);
    assert.deepEqual([...rot.train.labels!.subarray(0, 8)], [0, 1, 2, 3, 0, 1, 2, 3]);
    const per = 64;
    // image 0 at label 0 is the source itself; at label 2 its half turn
    assert.deepEqual([...rot.train.pixels.subarray(0, per)], [...ds.train.pixels.subarray(0, per)]);
    assert.deepEqual([...rot.train.pixels.subarray(2 * per, 3 * per)], [...rotateSquare(ds.train.pixels.subarray(0, per), 8, 1, 2)]);
    // a cap on the source images draws a subset
    assert.equal(rotationDataset(ds, { maxSources: 5 }).train.count, 20);
    const wide = { ...ds, image: { height: 8, width: 4, channels: 1 as const } };
    assert.throws(() => rotationDataset(wide), (e: Error) => e instanceof DataError && /8×4 images; the rotation task needs square images/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a flat folder gets a rotation feature net: it learns the task, and its FID tells real images from noise and from turned images', async () => {
  await initEngine('cpu');
  const dir = tmp('rot-folder');
  const cache = tmp('rot-cache');
  try {
    writeTees(dir, 120, 2);
    const ds = loadImageFolder(dir, { size: 8 });
    const net = await trainFeatureNet(ds, { cacheDir: cache, steps: 50, batch: 32, lr: 3e-3, seed: 1, ...TINY });
    assert.equal(net.meta.task, 'rotation');
    assert.equal(net.meta.classes, 4);
    assert.deepEqual(net.meta.classNames, ROTATION_CLASS_NAMES);
    // chance is 25%; a T's four turns are easy to tell apart
    assert.ok(net.meta.testAccuracy >= 0.9, `held-out rotation accuracy ${net.meta.testAccuracy}`);
    assert.equal(net.meta.testCount, 4 * ds.test!.count);

    const n = 50;
    const idx = Array.from({ length: 2 * n }, (_, i) => i);
    const realA = imagesToFloat(ds.train, idx.slice(0, n));
    const realB = imagesToFloat(ds.train, idx.slice(n));
    const noise = new Rng(5).uniformArray(n * 64, -1, 1);
    // the same real images turned a quarter: same pixels' statistics, wrong structure
    const turned = new Float32Array(n * 64);
    for (let i = 0; i < n; i++) {
      const bytes = Uint8Array.from(realB.subarray(i * 64, (i + 1) * 64), (v) => Math.round((v + 1) * 127.5));
      const r = rotateSquare(bytes, 8, 1, 1);
      for (let j = 0; j < 64; j++) turned[i * 64 + j] = r[j] / 127.5 - 1;
    }
    const mNoise = await imageMetrics(net, noise, realA, realB, n, { kidSubsets: 4 });
    const mTurned = await imageMetrics(net, turned, realA, realB, n, { kidSubsets: 4 });
    assert.ok(mNoise.fid > 5 * mNoise.realFid, `noise FID ${mNoise.fid} vs real-vs-real ${mNoise.realFid}`);
    assert.ok(mTurned.fid > 3 * mTurned.realFid, `turned FID ${mTurned.fid} vs real-vs-real ${mTurned.realFid}`);
    assert.ok(mTurned.kid > mTurned.realKid, JSON.stringify(mTurned));

    // stored with its task, loaded back
    const back = await loadFeatureNet(ds.name, { cacheDir: cache, image: ds.image });
    assert.equal(back.meta.task, 'rotation');
    back.dispose();
    net.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('datasetFeatureNet: a folder with class sub-folders gets a classifier; trained once with progress, then loaded; train: false names the command', async () => {
  await initEngine('cpu');
  const dir = tmp('class-folder');
  const cache = tmp('class-cache');
  try {
    // two classes: upright and upside-down Ts
    writeTees(path.join(dir, 'up'), 30, 3);
    writeTees(path.join(dir, 'down'), 30, 4);
    for (const f of fs.readdirSync(path.join(dir, 'down'))) {
      const file = path.join(dir, 'down', f);
      const png = PNG.sync.read(fs.readFileSync(file));
      const flipped = new PNG({ width: 8, height: 8 });
      for (let y = 0; y < 8; y++) png.data.copy(flipped.data, (7 - y) * 32, y * 32, (y + 1) * 32);
      fs.writeFileSync(file, PNG.sync.write(flipped));
    }
    const ds = loadImageFolder(dir, { size: 8 });
    assert.deepEqual(ds.classNames, ['down', 'up']);
    assert.equal(defaultFeatureTask(ds), 'classes');
    assert.deepEqual(featureLocation(ds, cache), { cacheDir: cache, size: 8 });

    await assert.rejects(datasetFeatureNet(ds, { cacheDir: cache, train: false }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /no feature network for .*class-folder.*--size 8/);
      return true;
    });
    const lines: string[] = [];
    const net = await datasetFeatureNet(ds, { cacheDir: cache, log: (l) => lines.push(l), net: { steps: 40, batch: 16, lr: 3e-3, ...TINY } });
    assert.equal(net.meta.task, 'classes');
    assert.deepEqual(net.meta.classNames, ['down', 'up']);
    assert.ok(net.meta.testAccuracy >= 0.9, `held-out accuracy ${net.meta.testAccuracy}`);
    assert.match(lines[0], /no feature net for .* training one for FID\/KID \(a classifier of its 2 classes\)/);
    assert.ok(lines.some((l) => /^features: step \d+\/\d+ loss/.test(l)), lines.join(''));
    assert.match(lines.at(-1)!, /held-out accuracy/);
    assert.ok(net.dir.endsWith('-s8'), net.dir);
    net.dispose();
    // cached now: loaded, nothing trained
    const again: string[] = [];
    const net2 = await datasetFeatureNet(ds, { cacheDir: cache, log: (l) => again.push(l) });
    assert.deepEqual(again, []);
    assert.equal(net2.meta.date, net.meta.date);
    net2.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
