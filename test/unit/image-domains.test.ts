/**
 * The emoji image domains: Google and Twitter emoji (same held-out emoji in both), the
 * `emoji-category` alias, OpenMoji colour and black (rasterised SVGs, same held-out emoji in
 * both), the size option, and clear errors / notes for missing packages and missing or
 * corrupt SVGs (on tiny fixture packages made here). Uses its own DGGF_CACHE folder, so
 * every real dataset is decoded once, cold, in this file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/cli.js';
import type { ImageDataset } from '../../src/data/types.js';
import { assertDataError } from '../helpers/assert.js';
import {
  IMAGE_DATASET_NAMES,
  describeImageDataset,
  emojiPackage,
  isCodedImageDataset,
  listEmoji,
  loadEmoji,
  loadOpenmoji,
  resolveImageDataset,
} from '../../src/data/images/index.js';
import type { CodedImageDataset } from '../../src/data/images/index.js';

const tmp = tempDir('image-domains');
const prevCache = process.env.DGGF_CACHE;
process.env.DGGF_CACHE = path.join(tmp, 'cache');
after(() => {
  if (prevCache === undefined) delete process.env.DGGF_CACHE;
  else process.env.DGGF_CACHE = prevCache;
  rmSync(tmp, { recursive: true, force: true });
});

/** Load a built-in name, checking it is a coded dataset called by that name. */
function load(name: string, size?: number): CodedImageDataset {
  const ds = resolveImageDataset(name, size !== undefined ? { size } : {});
  assert.ok(ds, name);
  assert.equal(ds.name, name);
  assert.ok(isCodedImageDataset(ds), `${name} has codes`);
  assert.equal(ds.codes.train.length, ds.train.count);
  assert.equal(ds.codes.test.length, ds.test?.count);
  return ds;
}

/** Shape, counts, labels in range and every class used, pixels neither blank nor saturated. */
function checkDomain(ds: ImageDataset, size: number, minImages: number, classes: number): void {
  assert.deepEqual(ds.image, { height: size, width: size, channels: 3 });
  assert.equal(ds.dim, size * size * 3);
  const total = ds.train.count + (ds.test?.count ?? 0);
  assert.ok(total > minImages, `${ds.name}: ${total} images`);
  assert.ok(ds.test && ds.test.count > total * 0.08 && ds.test.count < total * 0.12, `${ds.name}: ${ds.test?.count} test`);
  assert.equal(ds.classNames?.length, classes, ds.classNames?.join(', '));
  for (const s of [ds.train, ds.test]) {
    assert.ok(s.labels && s.labels.length === s.count);
    const seen = new Set(s.labels);
    assert.equal(seen.size, classes, `${ds.name}: classes seen`);
    for (const l of seen) assert.ok(l >= 0 && l < classes);
  }
  // On white: corners mostly white (flags fill the frame), but images are far from blank (mean well below
  // 255, some dark pixels).
  const per = ds.dim;
  let white = 0;
  let sum = 0;
  let dark = 0;
  const px = ds.train.pixels;
  for (let i = 0; i < ds.train.count; i++) if (px[i * per] === 255 && px[i * per + 1] === 255 && px[i * per + 2] === 255) white++;
  for (let j = 0; j < px.length; j++) {
    sum += px[j];
    if (px[j] < 128) dark++;
  }
  const mean = sum / px.length;
  assert.ok(white > ds.train.count * 0.8, `${ds.name}: ${white} white corners of ${ds.train.count}`);
  assert.ok(mean > 150 && mean < 245, `${ds.name}: mean byte ${mean.toFixed(1)}`);
  assert.ok(dark > px.length * 0.02, `${ds.name}: ${dark} dark bytes`);
  let blank = 0;
  for (let i = 0; i < ds.train.count; i++) if (px.subarray(i * per, (i + 1) * per).every((v) => v === 255)) blank++;
  assert.ok(blank < ds.train.count * 0.01, `${ds.name}: ${blank} all-white images`);
}

const overlap = (a: string[], b: string[]): number => {
  const s = new Set(b);
  return a.filter((c) => s.has(c)).length;
};

test('all domain names are built-in names', () => {
  for (const n of ['emoji', 'emoji-google', 'emoji-twitter', 'emoji-category', 'openmoji-color', 'openmoji-black']) {
    assert.ok((IMAGE_DATASET_NAMES as readonly string[]).includes(n), n);
  }
});

let google: CodedImageDataset;

test('emoji-google / emoji / emoji-category: one Google dataset, one cache file, category labels, split unchanged', () => {
  google = load('emoji-google');
  checkDomain(google, 32, 3700, 9);
  assert.ok(google.notes.some((n) => n.startsWith('decoded 3781 google emoji PNGs')), google.notes.join('; '));
  // The file name the `emoji` dataset has always used.
  const { version } = emojiPackage('google');
  assert.ok(existsSync(path.join(process.env.DGGF_CACHE as string, `emoji-google-${version}-32px.bin`)));

  const emoji = load('emoji');
  const category = load('emoji-category');
  for (const ds of [emoji, category]) {
    assert.ok(!ds.notes.some((n) => n.startsWith('decoded')), `${ds.name} read the cache: ${ds.notes.join('; ')}`);
    assert.deepEqual(ds.classNames, google.classNames);
    assert.ok(Buffer.from(ds.train.pixels).equals(Buffer.from(google.train.pixels)));
    assert.deepEqual(ds.test?.labels, google.test?.labels);
    assert.deepEqual(ds.codes, google.codes);
  }
  assert.deepEqual(category.classNames, [
    'Activities',
    'Animals & Nature',
    'Flags',
    'Food & Drink',
    'Objects',
    'People & Body',
    'Smileys & Emotion',
    'Symbols',
    'Travel & Places',
  ]);
  assert.match(describeImageDataset(category), /^emoji-category: 3403 train \/ 378 test images, 32×32×3 \(RGB\), 9 classes/);
  // `emoji`'s split is still every 10th of the listed (category-filtered) images.
  const listed = listEmoji(emojiPackage('google').dir, 'google').filter((it) => it.category !== 'Component');
  assert.deepEqual(emoji.codes.test, listed.filter((_, i) => i % 10 === 9).map((it) => it.code));
  // A label is the category of the emoji it labels.
  const catOf = new Map(listed.map((it) => [it.code, it.category]));
  emoji.codes.test.forEach((c, i) => assert.equal(emoji.classNames?.[emoji.test!.labels![i]], catOf.get(c)));
});

test('emoji-twitter: Twemoji PNGs, the same held-out emoji as Google, other pixels', () => {
  const twitter = load('emoji-twitter');
  checkDomain(twitter, 32, 3700, 9);
  assert.deepEqual(twitter.classNames, google.classNames);
  const shared = overlap(google.codes.test, twitter.codes.test);
  assert.equal(shared, google.codes.test.length);
  assert.equal(shared, twitter.codes.test.length);
  assert.equal(overlap(google.codes.train, twitter.codes.test), 0, 'no Twitter test emoji is a Google training emoji');
  // Same emoji, same label; different artwork.
  assert.deepEqual(twitter.test?.labels, google.test?.labels);
  const g = google.test!.pixels;
  const t = twitter.test!.pixels;
  let diff = 0;
  for (let j = 0; j < g.length; j++) diff += Math.abs(g[j] - t[j]);
  assert.ok(diff / g.length > 5, `mean |google − twitter| ${(diff / g.length).toFixed(1)}`);
  console.log(`held-out emoji shared by google and twitter: ${shared} of ${google.codes.test.length}; ${twitter.notes.join('; ')}`);
});

test('openmoji-color at 32 (rasterised once, then cached) and openmoji-black at 16: same held-out emoji', () => {
  const t0 = performance.now();
  const color = load('openmoji-color');
  const coldMs = performance.now() - t0;
  checkDomain(color, 32, 4000, 11);
  assert.ok(!color.classNames?.includes('component'), 'the 9 component images are left out');
  assert.ok(color.notes.some((n) => /^group 'component' \(9 images\) was left out/.test(n)), color.notes.join('; '));
  assert.ok(color.notes.some((n) => n.startsWith('rasterised 4495 OpenMoji color SVGs')), color.notes.join('; '));

  const t1 = performance.now();
  const warm = load('openmoji-color');
  const warmMs = performance.now() - t1;
  assert.ok(!warm.notes.some((n) => n.startsWith('rasterised')), warm.notes.join('; '));
  assert.ok(warm.notes.some((n) => n.startsWith("group 'component'")), 'notes survive the cache');
  assert.ok(Buffer.from(warm.train.pixels).equals(Buffer.from(color.train.pixels)));
  assert.deepEqual(warm.codes, color.codes);
  assert.deepEqual(warm.test?.labels, color.test?.labels);

  const black = load('openmoji-black', 16);
  checkDomain(black, 16, 4000, 11);
  assert.deepEqual(black.classNames, color.classNames);
  assert.deepEqual(black.codes, color.codes);
  assert.equal(overlap(black.codes.test, color.codes.test), color.codes.test.length);
  assert.deepEqual(black.test?.labels, color.test?.labels);
  // Black line art: (almost) no colour.
  let colourful = 0;
  const bp = black.train.pixels;
  for (let j = 0; j < bp.length; j += 3) if (Math.max(bp[j], bp[j + 1], bp[j + 2]) - Math.min(bp[j], bp[j + 1], bp[j + 2]) > 40) colourful++;
  assert.ok(colourful < bp.length / 3 / 100, `${colourful} colourful black-style pixels`);
  // 😀 is entry 0: in training, yellow in colour.
  const i = color.codes.train.indexOf('1F600');
  assert.ok(i >= 0);
  const centre = (i * 32 * 32 + 16 * 32 + 8) * 3;
  const [r, g, b] = color.train.pixels.subarray(centre, centre + 3);
  assert.ok(r > 200 && g > 180 && b < 120, `😀 at (16, 8) is ${r},${g},${b}, expected yellow`);
  console.log(`openmoji-color: cold ${coldMs.toFixed(0)} ms, warm ${warmMs.toFixed(0)} ms; ${black.notes.join('; ')}`);
});

test('size errors (size 16 is loaded above)', () => {
  assertDataError(() => resolveImageDataset('emoji-twitter', { size: 65 }), 'emoji-twitter', 'size is 65', '4 to 64');
  assertDataError(() => resolveImageDataset('openmoji-black', { size: 3 }), 'openmoji-black', 'size is 3', '4 to 128');
  assertDataError(() => resolveImageDataset('openmoji-color', { size: 12.5 }), 'openmoji-color', 'size is 12.5');
});

// ---- fixture packages -------------------------------------------------------------------------

/** An SVG of a filled circle of one colour. */
const circleSvg = (fill: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72"><circle cx="36" cy="36" r="24" fill="${fill}"/></svg>`;

/** A tiny openmoji package: n entries, groups 'a' (n − 3) and 'b' (3), colour SVGs of circles. */
function openmojiFixture(n: number): { dir: string; codes: string[] } {
  const dir = path.join(tmp, `openmoji-fixture-${n}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  mkdirSync(path.join(dir, 'color', 'svg'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'openmoji', version: '0.0.1-test' }));
  const codes = Array.from({ length: n }, (_, i) => (0x1f600 + i).toString(16).toUpperCase());
  const entries = codes.map((hexcode, i) => ({ hexcode, group: i < n - 3 ? 'a' : 'b' }));
  writeFileSync(path.join(dir, 'data', 'openmoji.json'), JSON.stringify(entries));
  codes.forEach((c, i) => writeFileSync(path.join(dir, 'color', 'svg', `${c}.svg`), circleSvg(i % 2 ? '#ff0000' : '#0000ff')));
  return { dir, codes };
}

test('openmoji fixture: a missing SVG is skipped with a note, small groups are dropped, split by json position', () => {
  const { dir, codes } = openmojiFixture(30);
  rmSync(path.join(dir, 'color', 'svg', `${codes[4]}.svg`));
  const ds = loadOpenmoji({ dir, style: 'color', size: 8 }, 'om-fixture');
  assert.equal(ds.name, 'om-fixture');
  assert.ok(ds.notes.some((n) => n.includes('1 of 30 entries') && n.includes(codes[4]) && n.includes('skipped')), ds.notes.join('; '));
  assert.ok(ds.notes.some((n) => n.startsWith("group 'b' (3 images) was left out")), ds.notes.join('; '));
  assert.deepEqual(ds.classNames, ['a']);
  // Entries 0–26 are group 'a', entry 4 is missing: test = json positions 9 and 19; 26 − 2 train.
  assert.deepEqual(ds.codes.test, [codes[9], codes[19]]);
  assert.equal(ds.train.count, 24);
  assert.ok(!ds.codes.train.includes(codes[4]));
  // Blue circle on white: centre blue, corner white.
  const i = ds.codes.train.indexOf(codes[0]);
  const px = ds.train.pixels.subarray(i * 192, (i + 1) * 192);
  assert.deepEqual([...px.subarray((4 * 8 + 4) * 3, (4 * 8 + 4) * 3 + 3)], [0, 0, 255]);
  assert.deepEqual([...px.subarray(0, 3)], [255, 255, 255]);
  // Antialiased edges blend blue with white (resvg's premultiplied alpha handled): blue stays 255
  // everywhere, red = green, and some edge pixels are in between.
  let between = 0;
  for (let j = 0; j < px.length; j += 3) {
    assert.ok(px[j + 2] >= 254 && Math.abs(px[j] - px[j + 1]) <= 1, `pixel ${j / 3}: ${px[j]},${px[j + 1]},${px[j + 2]}`);
    if (px[j] > 10 && px[j] < 245) between++;
  }
  assert.ok(between >= 4, `${between} edge pixels`);
  // The cache keeps the skip note and the codes.
  const again = loadOpenmoji({ dir, style: 'color', size: 8 }, 'om-fixture');
  assert.ok(!again.notes.some((n) => n.startsWith('rasterised')), again.notes.join('; '));
  assert.ok(again.notes.some((n) => n.includes('skipped')));
  assert.deepEqual(again.codes, ds.codes);
});

test('openmoji fixture: corrupt SVG, no SVGs at all, bad json entry and missing package are DataErrors', () => {
  const corrupt = openmojiFixture(12);
  const bad = path.join(corrupt.dir, 'color', 'svg', `${corrupt.codes[2]}.svg`);
  writeFileSync(bad, '<svg xmlns="http://www.w3.org/2000/svg"><circle');
  assertDataError(() => loadOpenmoji({ dir: corrupt.dir, size: 8 }), bad, 'not a readable SVG', 'expected a valid SVG');

  const none = openmojiFixture(12);
  assertDataError(() => loadOpenmoji({ dir: none.dir, style: 'black', size: 8 }), path.join(none.dir, 'black', 'svg'), 'none of the 12 SVGs');

  const badJson = openmojiFixture(12);
  writeFileSync(path.join(badJson.dir, 'data', 'openmoji.json'), JSON.stringify([{ hexcode: '1F600' }]));
  assertDataError(() => loadOpenmoji({ dir: badJson.dir, size: 8 }), 'openmoji.json', 'entry 0 (1F600)', 'group');

  const nowhere = path.join(tmp, 'no-such-package');
  assertDataError(() => loadOpenmoji({ dir: nowhere }), path.join(nowhere, 'package.json'), 'openmoji');
  assertDataError(() => loadEmoji({ dir: nowhere, vendor: 'twitter' }), path.join(nowhere, 'package.json'), 'emoji-datasource-twitter');
  assertDataError(() => loadEmoji({ vendor: 'apple' as 'google' }, 'emoji-apple'), 'emoji-apple', "vendor is 'apple'");
  assertDataError(() => loadOpenmoji({ style: 'grey' as 'color' }, 'openmoji-grey'), 'openmoji-grey', "style is 'grey'");
});
