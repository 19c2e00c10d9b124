/**
 * Emoji (Google / Noto style) from the npm package `emoji-datasource-google`: the 64×64 RGBA
 * PNGs in `img/google/64/` listed in `emoji.json` (entries and skin-tone variations with
 * `has_img_google`), composited on white, RGB, area-resized to size × size (default 32).
 * Labels are the emoji.json `category` (classes sorted by name); categories with fewer than
 * 10 images (the 5 skin-tone swatches of 'Component') are left out. Every 10th image in
 * emoji.json order is held out as the test split. Decoded pixels are cached (see cache.ts),
 * keyed by package version and size.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DataError } from '../types.js';
import type { ImageDataset } from '../types.js';
import { cacheDir, readPixelCache, writePixelCache } from './cache.js';
import { everyTenthSplit, gatherSplit, makeImageDataset } from './dataset.js';
import { decodeImageFile } from './decode.js';
import { rgbaToSquareRgb } from './resize.js';

export const EMOJI_PACKAGE = 'emoji-datasource-google';
export const EMOJI_DEFAULT_SIZE = 32;
/** Categories with fewer images than this are left out. */
const MIN_CATEGORY_IMAGES = 10;

export interface EmojiOptions {
  /** Side length, 4–64 (the PNGs are 64×64); default 32. */
  size?: number;
}

interface EmojiJsonEntry {
  image?: string;
  category?: string;
  has_img_google?: boolean;
  skin_variations?: Record<string, { image?: string; has_img_google?: boolean }>;
}

interface EmojiItem {
  file: string;
  category: string;
}

/** The package's folder and version. */
export function emojiPackage(): { dir: string; version: string } {
  let pkgFile: string;
  try {
    pkgFile = createRequire(import.meta.url).resolve(`${EMOJI_PACKAGE}/package.json`);
  } catch {
    throw new DataError(`emoji: the npm package '${EMOJI_PACKAGE}' is not installed, expected it in node_modules (npm install ${EMOJI_PACKAGE})`);
  }
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version?: string };
  return { dir: path.dirname(pkgFile), version: String(pkg.version ?? 'unknown') };
}

/** The emoji images listed in emoji.json, in file order (skin variations after their base). */
export function listEmoji(dir: string): EmojiItem[] {
  const jsonFile = path.join(dir, 'emoji.json');
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(jsonFile, 'utf8'));
  } catch (err) {
    throw new DataError(`${jsonFile} cannot be read as JSON (${(err as Error).message}), expected the emoji list of ${EMOJI_PACKAGE}`);
  }
  if (!Array.isArray(entries)) throw new DataError(`${jsonFile}: expected a JSON array of emoji entries`);
  const imgDir = path.join(dir, 'img', 'google', '64');
  const items: EmojiItem[] = [];
  (entries as EmojiJsonEntry[]).forEach((e, i) => {
    const category = typeof e.category === 'string' ? e.category : undefined;
    if (e.has_img_google && e.image) {
      if (!category) throw new DataError(`${jsonFile}: entry ${i} (${e.image}) has no category, expected a string`);
      items.push({ file: path.join(imgDir, e.image), category });
    }
    for (const v of Object.values(e.skin_variations ?? {})) {
      if (v.has_img_google && v.image && category) items.push({ file: path.join(imgDir, v.image), category });
    }
  });
  if (items.length === 0) throw new DataError(`${jsonFile}: no entries with has_img_google, expected emoji images`);
  return items;
}

function checkEmojiSize(size: number): void {
  if (!Number.isInteger(size) || size < 4 || size > 64) {
    throw new DataError(`emoji: size is ${size}, expected an integer from 4 to 64 (the PNGs are 64×64; 32 or 64 are usual)`);
  }
}

/** Decode (or read from the cache) all emoji at `size`; pixels count × size × size × 3. */
function emojiPixels(size: number, notes: string[]): { pixels: Uint8Array; labels: Int32Array; classNames: string[] } {
  const { dir, version } = emojiPackage();
  const key = { source: EMOJI_PACKAGE, version, size, channels: 3, layout: 1 };
  const file = path.join(cacheDir(), `emoji-google-${version}-${size}px.bin`);
  const per = size * size * 3;
  const cached = readPixelCache(file, key);
  const names = cached?.meta?.classNames;
  const keptNotes = cached?.meta?.notes;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (cached && cached.labels && cached.itemBytes === per && strings(names) && strings(keptNotes)) {
    notes.push(...keptNotes);
    return { pixels: cached.pixels, labels: cached.labels, classNames: names };
  }

  const all = listEmoji(dir);
  const counts = new Map<string, number>();
  for (const it of all) counts.set(it.category, (counts.get(it.category) ?? 0) + 1);
  const dropped = [...counts].filter(([, c]) => c < MIN_CATEGORY_IMAGES);
  for (const [cat, c] of dropped) notes.push(`category '${cat}' (${c} images) was left out: fewer than ${MIN_CATEGORY_IMAGES} images`);
  const lasting = [...notes];
  const items = all.filter((it) => (counts.get(it.category) ?? 0) >= MIN_CATEGORY_IMAGES);
  const classNames = [...new Set(items.map((it) => it.category))].sort();
  const classOf = new Map(classNames.map((c, i) => [c, i]));

  const t0 = performance.now();
  const pixels = new Uint8Array(items.length * per);
  const labels = new Int32Array(items.length);
  items.forEach((it, i) => {
    const img = decodeImageFile(it.file);
    pixels.set(rgbaToSquareRgb(img.rgba, img.width, img.height, size).rgb, i * per);
    labels[i] = classOf.get(it.category) as number;
  });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const err = writePixelCache(file, { key, count: items.length, itemBytes: per, pixels, labels, meta: { classNames, notes: lasting } });
  notes.push(
    err === undefined
      ? `decoded ${items.length} emoji PNGs in ${secs} s and cached them in ${file}`
      : `decoded ${items.length} emoji PNGs in ${secs} s; could not write the cache ${file} (${err})`,
  );
  return { pixels, labels, classNames };
}

/** The emoji dataset: ~3.4k train / ~380 test RGB images, 9 category classes, random flips. */
export function loadEmoji(opts: EmojiOptions = {}, name = 'emoji'): ImageDataset {
  const size = opts.size ?? EMOJI_DEFAULT_SIZE;
  checkEmojiSize(size);
  const notes: string[] = [];
  const { pixels, labels, classNames } = emojiPixels(size, notes);
  const per = size * size * 3;
  const count = labels.length;
  if (pixels.length !== count * per) {
    throw new DataError(`emoji: ${pixels.length} pixel bytes for ${count} images, expected ${count * per}`);
  }
  const { train, test } = everyTenthSplit(count);
  return makeImageDataset({
    name,
    image: { height: size, width: size, channels: 3 },
    train: gatherSplit(pixels, per, train, labels),
    test: gatherSplit(pixels, per, test, labels),
    classNames,
    flip: true,
    notes,
  });
}
