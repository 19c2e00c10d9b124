/**
 * Emoji of one vendor's style — Google/Noto (`emoji-datasource-google`) or Twitter/Twemoji
 * (`emoji-datasource-twitter`): the 64×64 RGBA PNGs in `img/<vendor>/64/` listed in
 * `emoji.json` (entries and skin-tone variations with `has_img_<vendor>`), composited on
 * white, RGB, area-resized to size × size (default 32). Labels are the emoji.json `category`
 * (classes sorted by name); categories with fewer than 10 images (the 5 skin-tone swatches of
 * 'Component') are left out. Every 10th image of that list is held out as the test split;
 * both packages list the same emoji in the same order, so the held-out emoji (by unified
 * code) are the same in both styles. Decoded pixels are cached (see cache.ts), keyed by
 * package, version and size.
 */
import { phaseCounter, type OnProgress } from '../../util/progress.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../types.js';
import { requireDataPackage } from '../package-require.js';
import type { ImageDataset } from '../types.js';
import { cacheDir, readPixelCache, writePixelCache } from './cache.js';
import { everyTenthSplit, gatherSplit, makeImageDataset } from './dataset.js';
import { decodeImageFile } from './decode.js';
import { rgbaToSquareRgb } from './resize.js';

export type EmojiVendor = 'google' | 'twitter';
export const EMOJI_VENDORS: readonly EmojiVendor[] = ['google', 'twitter'];
/** The Google package (the `emoji` dataset). */
export const EMOJI_PACKAGE = 'emoji-datasource-google';
export const EMOJI_DEFAULT_SIZE = 32;
/** Categories with fewer images than this are left out. */
const MIN_CATEGORY_IMAGES = 10;

/** The npm package holding a vendor's emoji images. */
export function emojiPackageName(vendor: EmojiVendor): string {
  return `emoji-datasource-${vendor}`;
}

export interface EmojiOptions {
  /** Side length, 4–64 (the PNGs are 64×64); default 32. */
  size?: number;
  /** Image style; default 'google'. */
  vendor?: EmojiVendor;
  /** The package folder instead of the installed npm package (for tests and vendored copies). */
  dir?: string;
  /** Progress of a first load's decoding ('decoding <vendor> emoji', images). */
  onProgress?: OnProgress;
}

/**
 * An image dataset whose images are named by a code (emoji: the unified code point sequence,
 * e.g. `1F600` or `1F44D-1F3FB`), one per image of each split, in split order — so that
 * images of the same emoji can be paired across domains.
 */
export interface CodedImageDataset extends ImageDataset {
  codes: { train: string[]; test: string[] };
}

/**
 * A CodedImageDataset of square RGB images (size × size × 3 bytes each, labelled, with one code
 * per image) split by image index into `train` and `test`; random flips allowed.
 */
export function codedRgbDataset(p: {
  name: string;
  size: number;
  pixels: Uint8Array;
  labels: Int32Array;
  codes: string[];
  classNames: string[];
  train: number[];
  test: number[];
  notes: string[];
}): CodedImageDataset {
  const per = p.size * p.size * 3;
  const ds = makeImageDataset({
    name: p.name,
    image: { height: p.size, width: p.size, channels: 3 },
    train: gatherSplit(p.pixels, per, p.train, p.labels),
    test: gatherSplit(p.pixels, per, p.test, p.labels),
    classNames: p.classNames,
    flip: true,
    notes: p.notes,
  });
  const pick = (idx: ArrayLike<number>): string[] => Array.from(idx, (i) => p.codes[i]);
  return Object.assign(ds, { codes: { train: pick(p.train), test: pick(p.test) } });
}

export function isCodedImageDataset(ds: ImageDataset): ds is CodedImageDataset {
  const c = (ds as Partial<CodedImageDataset>).codes;
  return !!c && Array.isArray(c.train) && Array.isArray(c.test);
}

interface EmojiJsonVariation {
  unified?: string;
  image?: string;
  [flag: string]: unknown;
}

interface EmojiJsonEntry {
  unified?: string;
  image?: string;
  category?: string;
  skin_variations?: Record<string, EmojiJsonVariation>;
  [flag: string]: unknown;
}

export interface EmojiItem {
  /** Unified code point sequence, upper case (as in emoji.json). */
  code: string;
  file: string;
  category: string;
}

/** A vendor package's folder and version (the installed one, see ../packages.ts, unless `dir` is given). */
export function emojiPackage(vendor: EmojiVendor = 'google', dir?: string): { dir: string; version: string } {
  const { dir: found, version } = requireDataPackage(emojiPackageName(vendor), `emoji-${vendor}`, dir);
  return { dir: found, version };
}

/** A vendor's emoji images listed in emoji.json, in file order (skin variations after their base). */
export function listEmoji(dir: string, vendor: EmojiVendor = 'google'): EmojiItem[] {
  const jsonFile = path.join(dir, 'emoji.json');
  const flag = `has_img_${vendor}`;
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(jsonFile, 'utf8'));
  } catch (err) {
    throw new DataError(`${jsonFile} cannot be read as JSON (${(err as Error).message}), expected the emoji list of ${emojiPackageName(vendor)}`);
  }
  if (!Array.isArray(entries)) throw new DataError(`${jsonFile}: expected a JSON array of emoji entries`);
  const imgDir = path.join(dir, 'img', vendor, '64');
  const codeOf = (unified: unknown, image: string): string =>
    typeof unified === 'string' && unified !== '' ? unified.toUpperCase() : image.replace(/\.png$/i, '').toUpperCase();
  const items: EmojiItem[] = [];
  (entries as EmojiJsonEntry[]).forEach((e, i) => {
    const category = typeof e.category === 'string' ? e.category : undefined;
    if (e[flag] === true && e.image) {
      if (!category) throw new DataError(`${jsonFile}: entry ${i} (${e.image}) has no category, expected a string`);
      items.push({ code: codeOf(e.unified, e.image), file: path.join(imgDir, e.image), category });
    }
    for (const v of Object.values(e.skin_variations ?? {})) {
      if (v[flag] === true && v.image && category) {
        items.push({ code: codeOf(v.unified, v.image), file: path.join(imgDir, v.image), category });
      }
    }
  });
  if (items.length === 0) throw new DataError(`${jsonFile}: no entries with ${flag}, expected emoji images`);
  return items;
}

/** The listed emoji minus categories with too few images, and notes saying which were left out. */
function keptEmoji(dir: string, vendor: EmojiVendor): { items: EmojiItem[]; notes: string[] } {
  const all = listEmoji(dir, vendor);
  const counts = new Map<string, number>();
  for (const it of all) counts.set(it.category, (counts.get(it.category) ?? 0) + 1);
  const notes = [...counts]
    .filter(([, c]) => c < MIN_CATEGORY_IMAGES)
    .map(([cat, c]) => `category '${cat}' (${c} images) was left out: fewer than ${MIN_CATEGORY_IMAGES} images`);
  return { items: all.filter((it) => (counts.get(it.category) ?? 0) >= MIN_CATEGORY_IMAGES), notes };
}

/** A short tag of a package folder, for cache file names of packages other than the installed one. */
export function dirTag(dir: string): string {
  return createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 8);
}

function checkEmojiSize(name: string, size: number): void {
  if (!Number.isInteger(size) || size < 4 || size > 64) {
    throw new DataError(`${name}: size is ${size}, expected an integer from 4 to 64 (the PNGs are 64×64; 32 or 64 are usual)`);
  }
}

interface EmojiPixels {
  pixels: Uint8Array;
  labels: Int32Array;
  classNames: string[];
  codes: string[];
}

/** Decode (or read from the cache) all of a vendor's emoji at `size`; pixels count × size × size × 3. */
function emojiPixels(vendor: EmojiVendor, size: number, notes: string[], dirOverride?: string, onProgress?: OnProgress): EmojiPixels {
  const { dir, version } = emojiPackage(vendor, dirOverride);
  const source = emojiPackageName(vendor);
  // The Google key and file name are those the `emoji` dataset has always used.
  const key: Record<string, string | number> = { source, version, size, channels: 3, layout: 1 };
  if (dirOverride !== undefined) key.dir = path.resolve(dir);
  const file = path.join(cacheDir(), `emoji-${vendor}-${version}-${size}px${dirOverride !== undefined ? `-${dirTag(dir)}` : ''}.bin`);
  const per = size * size * 3;
  const { items, notes: listNotes } = keptEmoji(dir, vendor);
  const codes = items.map((it) => it.code);

  const cached = readPixelCache(file, key);
  const names = cached?.meta?.classNames;
  const keptNotes = cached?.meta?.notes;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (cached && cached.labels && cached.itemBytes === per && cached.count === codes.length && strings(names) && strings(keptNotes)) {
    notes.push(...keptNotes);
    return { pixels: cached.pixels, labels: cached.labels, classNames: names, codes };
  }

  notes.push(...listNotes);
  const lasting = [...notes];
  const classNames = [...new Set(items.map((it) => it.category))].sort();
  const classOf = new Map(classNames.map((c, i) => [c, i]));

  const t0 = performance.now();
  const pixels = new Uint8Array(items.length * per);
  const labels = new Int32Array(items.length);
  const progress = phaseCounter(onProgress, `decoding ${vendor} emoji`, items.length, 'images');
  items.forEach((it, i) => {
    const img = decodeImageFile(it.file);
    pixels.set(rgbaToSquareRgb(img.rgba, img.width, img.height, size).rgb, i * per);
    labels[i] = classOf.get(it.category) as number;
    progress.tick();
  });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const err = writePixelCache(file, { key, count: items.length, itemBytes: per, pixels, labels, meta: { classNames, notes: lasting } });
  notes.push(
    err === undefined
      ? `decoded ${items.length} ${vendor} emoji PNGs in ${secs} s and cached them in ${file}`
      : `decoded ${items.length} ${vendor} emoji PNGs in ${secs} s; could not write the cache ${file} (${err})`,
  );
  return { pixels, labels, classNames, codes };
}

/**
 * An emoji dataset (default Google style): ~3.4k train / ~380 test RGB images, 9 category
 * classes, random flips, with the unified code of every image in `codes`.
 */
export function loadEmoji(opts: EmojiOptions = {}, name = 'emoji'): CodedImageDataset {
  const vendor = opts.vendor ?? 'google';
  if (!EMOJI_VENDORS.includes(vendor)) {
    throw new DataError(`${name}: vendor is '${String(vendor)}', expected one of ${EMOJI_VENDORS.join(', ')}`);
  }
  const size = opts.size ?? EMOJI_DEFAULT_SIZE;
  checkEmojiSize(name, size);
  const notes: string[] = [];
  const { pixels, labels, classNames, codes } = emojiPixels(vendor, size, notes, opts.dir, opts.onProgress);
  const per = size * size * 3;
  const count = labels.length;
  if (pixels.length !== count * per) {
    throw new DataError(`${name}: ${pixels.length} pixel bytes for ${count} images, expected ${count * per}`);
  }
  const { train, test } = everyTenthSplit(count);
  return codedRgbDataset({ name, size, pixels, labels, codes, classNames, train, test, notes });
}
