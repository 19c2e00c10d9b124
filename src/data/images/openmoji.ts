/**
 * OpenMoji emoji from the npm package `openmoji`, in its colour (`color/svg/`) or black
 * line-art (`black/svg/`) style: each SVG listed in `data/openmoji.json` is rasterised once
 * with resvg at up to 4× the requested size, composited on white and area-resized to
 * size × size RGB (default 32). Labels are the openmoji.json `group` (classes sorted by name);
 * groups with fewer than 10 images are left out, and entries whose SVG is missing are skipped
 * with a note. The test split is every 10th entry of openmoji.json (positions 9, 19, …), so
 * both styles hold out the same emoji. Decoded pixels are cached (see cache.ts), keyed by
 * package version, style and size.
 */
import { phaseCounter, type OnProgress } from '../../util/progress.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DataError } from '../types.js';
import { requireDataPackage } from '../package-require.js';
import { cacheDir, readPixelCache, writePixelCache } from './cache.js';
import { dirTag } from './emoji.js';
import { codedRgbDataset, type CodedImageDataset } from './emoji.js';
import { floatsToBytes, squareResize } from './resize.js';

export type OpenmojiStyle = 'color' | 'black';
export const OPENMOJI_STYLES: readonly OpenmojiStyle[] = ['color', 'black'];
export const OPENMOJI_PACKAGE = 'openmoji';
export const RESVG_PACKAGE = '@resvg/resvg-js';
export const OPENMOJI_DEFAULT_SIZE = 32;
export const OPENMOJI_MAX_SIZE = 128;
/** Groups with fewer images than this are left out. */
const MIN_GROUP_IMAGES = 10;
/** SVGs are rendered at up to this many times the output size, then area-resized (antialiasing). */
const RENDER_SCALE = 4;
/** …but at no more than this many pixels a side (unless the output itself is larger). */
const MAX_RENDER_SIDE = 256;
/** The split rule: entries at these positions of openmoji.json (mod 10) are held out. */
const TEST_EVERY = 10;
/** Fewer listed entries than this: no test split, everything is training data. */
const MIN_FOR_TEST = 20;

export interface OpenmojiOptions {
  /** Side length, 4–128; default 32. */
  size?: number;
  /** Colour or black line art; default 'color'. */
  style?: OpenmojiStyle;
  /** The package folder instead of the installed npm package (for tests and vendored copies). */
  dir?: string;
  /** Progress of a first load's rasterising ('rasterising OpenMoji <style>', images). */
  onProgress?: OnProgress;
}

export interface OpenmojiItem {
  /** openmoji.json `hexcode`, upper case (e.g. `1F600`, `1F44D-1F3FB`). */
  code: string;
  group: string;
  /** Position in openmoji.json (decides the split). */
  position: number;
}

/** The package's folder and version (the installed npm package unless `dir` is given). */
export function openmojiPackage(dir?: string): { dir: string; version: string } {
  const { dir: found, version } = requireDataPackage(OPENMOJI_PACKAGE, 'openmoji', dir);
  return { dir: found, version };
}

/** The entries of data/openmoji.json, in file order. */
export function listOpenmoji(dir: string): OpenmojiItem[] {
  const jsonFile = path.join(dir, 'data', 'openmoji.json');
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(jsonFile, 'utf8'));
  } catch (err) {
    throw new DataError(`${jsonFile} cannot be read as JSON (${(err as Error).message}), expected the emoji list of ${OPENMOJI_PACKAGE}`);
  }
  if (!Array.isArray(entries)) throw new DataError(`${jsonFile}: expected a JSON array of emoji entries`);
  if (entries.length === 0) throw new DataError(`${jsonFile}: the list is empty, expected emoji entries`);
  return entries.map((e: unknown, i): OpenmojiItem => {
    const { hexcode, group } = (e ?? {}) as { hexcode?: unknown; group?: unknown };
    if (typeof hexcode !== 'string' || !/^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)*$/.test(hexcode)) {
      throw new DataError(`${jsonFile}: entry ${i} has hexcode ${JSON.stringify(hexcode)}, expected hex code points joined by '-'`);
    }
    if (typeof group !== 'string' || group === '') {
      throw new DataError(`${jsonFile}: entry ${i} (${hexcode}) has group ${JSON.stringify(group)}, expected a non-empty string`);
    }
    return { code: hexcode.toUpperCase(), group, position: i };
  });
}

type ResvgModule = typeof import('@resvg/resvg-js');
let resvgModule: ResvgModule | undefined;

/** The resvg binding, loaded on first use so that a missing native package is a DataError. */
function loadResvg(): ResvgModule {
  if (resvgModule) return resvgModule;
  try {
    resvgModule = createRequire(import.meta.url)(RESVG_PACKAGE) as ResvgModule;
  } catch (err) {
    throw new DataError(
      `openmoji: the SVG rasteriser '${RESVG_PACKAGE}' is not installed or does not load here (${(err as Error).message.split('\n')[0]}), expected it in node_modules (npm install ${RESVG_PACKAGE})`,
    );
  }
  return resvgModule;
}

/** The side SVGs are rendered at for an output of `size`. */
export function openmojiRenderSide(size: number): number {
  return Math.max(size, Math.min(size * RENDER_SCALE, MAX_RENDER_SIDE));
}

/** Premultiplied RGBA bytes (resvg's output) → RGB floats (0–255) over a white background. */
function premultipliedOnWhite(rgba: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const bg = 255 - rgba[i * 4 + 3];
    out[i * 3] = rgba[i * 4] + bg;
    out[i * 3 + 1] = rgba[i * 4 + 1] + bg;
    out[i * 3 + 2] = rgba[i * 4 + 2] + bg;
  }
  return out;
}

/** Rasterise one SVG file to size × size RGB bytes (rendered at `side`, composited on white, area-resized). */
export function rasteriseSvg(svg: Buffer, file: string, size: number, side = openmojiRenderSide(size)): Uint8Array {
  const { Resvg } = loadResvg();
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    const img = new Resvg(svg, { fitTo: { mode: 'width', value: side }, font: { loadSystemFonts: false } }).render();
    ({ width, height } = img);
    const px = img.pixels;
    rgba = new Uint8Array(px.buffer, px.byteOffset, px.byteLength);
  } catch (err) {
    throw new DataError(`${file} is not a readable SVG image (${(err as Error).message}), expected a valid SVG file`);
  }
  if (!(width > 0 && height > 0) || rgba.length !== width * height * 4) {
    throw new DataError(`${file}: rendered ${rgba.length} bytes for ${width}×${height} pixels, expected a non-empty RGBA image`);
  }
  const { pixels } = squareResize(premultipliedOnWhite(rgba, width * height), width, height, 3, size);
  return floatsToBytes(pixels);
}

function checkOpenmojiSize(name: string, size: number): void {
  if (!Number.isInteger(size) || size < 4 || size > OPENMOJI_MAX_SIZE) {
    throw new DataError(`${name}: size is ${size}, expected an integer from 4 to ${OPENMOJI_MAX_SIZE} (32 or 64 are usual)`);
  }
}

interface OpenmojiPixels {
  pixels: Uint8Array;
  labels: Int32Array;
  classNames: string[];
  codes: string[];
  positions: number[];
  listed: number;
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const integers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x));

/** Rasterise (or read from the cache) all OpenMoji of a style at `size`; pixels count × size × size × 3. */
function openmojiPixels(style: OpenmojiStyle, size: number, notes: string[], dirOverride?: string, onProgress?: OnProgress): OpenmojiPixels {
  const { dir, version } = openmojiPackage(dirOverride);
  const side = openmojiRenderSide(size);
  const key: Record<string, string | number> = { source: OPENMOJI_PACKAGE, version, style, size, render: side, channels: 3, layout: 1 };
  if (dirOverride !== undefined) key.dir = path.resolve(dir);
  const file = path.join(cacheDir(), `openmoji-${style}-${version}-${size}px${dirOverride !== undefined ? `-${dirTag(dir)}` : ''}.bin`);
  const per = size * size * 3;

  const cached = readPixelCache(file, key);
  const m = cached?.meta ?? {};
  if (
    cached &&
    cached.labels &&
    cached.itemBytes === per &&
    strings(m.classNames) &&
    strings(m.notes) &&
    strings(m.codes) &&
    integers(m.positions) &&
    Number.isInteger(m.listed) &&
    m.codes.length === cached.count &&
    m.positions.length === cached.count
  ) {
    notes.push(...m.notes);
    return { pixels: cached.pixels, labels: cached.labels, classNames: m.classNames, codes: m.codes, positions: m.positions, listed: m.listed as number };
  }

  const all = listOpenmoji(dir);
  const svgDir = path.join(dir, style, 'svg');
  const t0 = performance.now();
  const missing: string[] = [];
  const found: { item: OpenmojiItem; rgb: Uint8Array }[] = [];
  const progress = phaseCounter(onProgress, `rasterising OpenMoji ${style}`, all.length, 'images');
  for (const item of all) {
    progress.tick();
    const svgFile = path.join(svgDir, `${item.code}.svg`);
    let svg: Buffer;
    try {
      svg = readFileSync(svgFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        missing.push(item.code);
        continue;
      }
      throw new DataError(`${svgFile} cannot be read (${(err as Error).message}), expected an SVG image`);
    }
    found.push({ item, rgb: rasteriseSvg(svg, svgFile, size, side) });
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (found.length === 0) {
    throw new DataError(`${svgDir}: none of the ${all.length} SVGs listed in data/openmoji.json is there, expected <hexcode>.svg files`);
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '');
    notes.push(`${missing.length} of ${all.length} entries of openmoji.json have no SVG in ${svgDir} and were skipped (${shown})`);
  }
  const counts = new Map<string, number>();
  for (const f of found) counts.set(f.item.group, (counts.get(f.item.group) ?? 0) + 1);
  for (const [group, c] of counts) {
    if (c < MIN_GROUP_IMAGES) notes.push(`group '${group}' (${c} images) was left out: fewer than ${MIN_GROUP_IMAGES} images`);
  }
  const kept = found.filter((f) => (counts.get(f.item.group) ?? 0) >= MIN_GROUP_IMAGES);
  const lasting = [...notes];
  const classNames = [...new Set(kept.map((f) => f.item.group))].sort();
  const classOf = new Map(classNames.map((c, i) => [c, i]));
  const pixels = new Uint8Array(kept.length * per);
  const labels = new Int32Array(kept.length);
  kept.forEach((f, i) => {
    pixels.set(f.rgb, i * per);
    labels[i] = classOf.get(f.item.group) as number;
  });
  const codes = kept.map((f) => f.item.code);
  const positions = kept.map((f) => f.item.position);
  const listed = all.length;
  const err = writePixelCache(file, {
    key,
    count: kept.length,
    itemBytes: per,
    pixels,
    labels,
    meta: { classNames, notes: lasting, codes, positions, listed },
  });
  const what = `rasterised ${found.length} OpenMoji ${style} SVGs (at ${side} px) in ${secs} s`;
  notes.push(err === undefined ? `${what} and cached them in ${file}` : `${what}; could not write the cache ${file} (${err})`);
  return { pixels, labels, classNames, codes, positions, listed };
}

/**
 * An OpenMoji dataset: ~4k train / ~450 test RGB images of one style, 11 group classes,
 * random flips, with the hexcode of every image in `codes`.
 */
export function loadOpenmoji(opts: OpenmojiOptions = {}, name = `openmoji-${opts.style ?? 'color'}`): CodedImageDataset {
  const style = opts.style ?? 'color';
  if (!OPENMOJI_STYLES.includes(style)) {
    throw new DataError(`${name}: style is '${String(style)}', expected one of ${OPENMOJI_STYLES.join(', ')}`);
  }
  const size = opts.size ?? OPENMOJI_DEFAULT_SIZE;
  checkOpenmojiSize(name, size);
  const notes: string[] = [];
  const { pixels, labels, classNames, codes, positions, listed } = openmojiPixels(style, size, notes, opts.dir, opts.onProgress);
  const per = size * size * 3;
  const count = labels.length;
  if (pixels.length !== count * per || codes.length !== count || positions.length !== count) {
    throw new DataError(`${name}: ${pixels.length} pixel bytes and ${codes.length} codes for ${count} images, expected ${count * per} and ${count}`);
  }
  const train: number[] = [];
  const test: number[] = [];
  positions.forEach((p, i) => (listed >= MIN_FOR_TEST && p % TEST_EVERY === TEST_EVERY - 1 ? test : train).push(i));
  return codedRgbDataset({ name, size, pixels, labels, codes, classNames, train, test, notes });
}
