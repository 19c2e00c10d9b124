/**
 * A folder of PNG / JPEG images as a dataset (`--data DIR`).
 *
 * - The folder is searched recursively (hidden files and folders, i.e. names starting with
 *   '.', are skipped); files are recognised by extension (.png, .jpg, .jpeg, any case) and
 *   decoded by content. Files are taken in code-point order of their path relative to DIR.
 * - Labels follow the ImageFolder convention: when images sit under ≥ 2 top-level
 *   sub-folders, each top-level sub-folder is a class (sorted by name) and images lying
 *   directly in DIR are left out (with a note); otherwise the set is unlabelled.
 * - Each image is composited on white, centre-cropped to a square and area-resized to
 *   size × size (default 32). Channels: 1 when every image is grey (R = G = B; JPEG within a
 *   small tolerance for chroma rounding), else 3 with grey images expanded.
 * - Held-out split: every 10th image (in the order above) when there are ≥ 20 images.
 */
import { phaseCounter, type OnProgress } from '../../util/progress.js';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../types.js';
import { MAX_DATASET_BYTES, formatBytes } from '../limits.js';
import type { ImageDataset } from '../types.js';
import { everyTenthSplit, gatherSplit, makeImageDataset } from './dataset.js';
import { IMAGE_EXTENSIONS, decodeImageFile } from './decode.js';
import { maxChannelSpread, rgbToGray, rgbaToSquareRgb } from './resize.js';

export const FOLDER_DEFAULT_SIZE = 32;
/** Largest R/G/B spread of a JPEG pixel still counted as grey (chroma rounding). */
const JPEG_GREY_TOLERANCE = 3;

export interface FolderOptions {
  /** Side length, an integer 4–512 (32, 64 and 128 are the usual); default 32. */
  size?: number;
  /** Progress of the decoding ('decoding images'). */
  onProgress?: OnProgress;
}

function isImageName(name: string): boolean {
  const ext = path.extname(name).toLowerCase();
  return (IMAGE_EXTENSIONS as readonly string[]).includes(ext);
}

/** Image files under `dir` (recursive, hidden entries skipped), relative paths with '/', sorted. */
export function listImageFiles(dir: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (abs: string, rel: string): void => {
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      throw new DataError(`${abs} cannot be listed (${(err as Error).message}), expected a readable folder of images`);
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const a = path.join(abs, e.name);
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(a);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          // a broken link named like an image is kept, so that reading it fails naming the file
          // (a dangling link is an image the user expects to be used, not one to drop silently)
          if (isImageName(e.name)) out.push(r);
          continue;
        }
      }
      if (isDir) walk(a, r);
      else if (isFile && isImageName(e.name)) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Load a folder of images (see the module comment). `name` defaults to the folder path. */
export function loadImageFolder(dir: string, opts: FolderOptions = {}, name = dir): ImageDataset {
  const size = opts.size ?? FOLDER_DEFAULT_SIZE;
  if (!Number.isInteger(size) || size < 4 || size > 512) {
    throw new DataError(`${dir}: image size is ${size}, expected an integer from 4 to 512 (usually 32, 64 or 128)`);
  }
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new DataError(`${dir}: folder not found, expected a folder of PNG/JPEG images`);
  }
  if (!st.isDirectory()) throw new DataError(`${dir} is not a folder, expected a folder of PNG/JPEG images`);

  let files = listImageFiles(dir);
  const exts = IMAGE_EXTENSIONS.join(', ');
  if (files.length === 0) {
    throw new DataError(
      `${dir}: no images found, expected image files with extensions ${exts} (any case) in the folder or its sub-folders`,
    );
  }

  const notes: string[] = [];
  // ImageFolder convention: ≥ 2 top-level sub-folders with images → one class per sub-folder.
  const top = (r: string): string | undefined => (r.includes('/') ? r.slice(0, r.indexOf('/')) : undefined);
  const classDirs = [...new Set(files.map(top).filter((t): t is string => t !== undefined))].sort();
  let classNames: string[] | undefined;
  if (classDirs.length >= 2) {
    const loose = files.filter((f) => top(f) === undefined);
    if (loose.length > 0) {
      notes.push(
        `${loose.length} image${loose.length === 1 ? '' : 's'} directly in ${dir} ${loose.length === 1 ? 'was' : 'were'} left out: ` +
          `with images in ${classDirs.length} sub-folders, each sub-folder is a class`,
      );
      files = files.filter((f) => top(f) !== undefined);
    }
    classNames = classDirs;
  }

  const n = files.length;
  const per = size * size * 3;
  if (n * per > MAX_DATASET_BYTES) {
    throw new DataError(
      `${dir}: ${n} images at ${size}×${size} would take ${formatBytes(n * per)} decoded, more than the ${formatBytes(MAX_DATASET_BYTES)} ` +
        'an image dataset may take; expected fewer images or a smaller --size',
    );
  }
  const rgbAll = new Uint8Array(n * per);
  const grey = new Uint8Array(n);
  let changed = 0;
  const progress = phaseCounter(opts.onProgress, 'decoding images', n, 'images');
  files.forEach((rel, i) => {
    const file = path.join(dir, rel);
    const img = decodeImageFile(file);
    const { rgb, changed: c } = rgbaToSquareRgb(img.rgba, img.width, img.height, size);
    if (c) changed++;
    const tol = img.format === 'jpeg' ? JPEG_GREY_TOLERANCE : 0;
    grey[i] = maxChannelSpread(rgb) <= tol ? 1 : 0;
    rgbAll.set(rgb, i * per);
    progress.tick();
  });
  if (changed > 0) {
    notes.push(
      `${changed} of ${n} image${n === 1 ? ' was' : 's were'} not ${size}×${size} and ${changed === 1 ? 'was' : 'were'} centre-cropped and resized`,
    );
  }
  const greyCount = grey.reduce((a, b) => a + b, 0);
  const channels: 1 | 3 = greyCount === n ? 1 : 3;
  let pixels: Uint8Array = rgbAll;
  if (channels === 1) {
    pixels = rgbToGray(rgbAll);
    notes.push(`all ${n} images are greyscale: 1 channel`);
  } else if (greyCount > 0) {
    // Grey images already have R = G = B (JPEG: nearly); make them exactly grey.
    for (let i = 0; i < n; i++) {
      if (!grey[i]) continue;
      const img = rgbAll.subarray(i * per, (i + 1) * per);
      const g = rgbToGray(img);
      for (let j = 0; j < g.length; j++) img[j * 3] = img[j * 3 + 1] = img[j * 3 + 2] = g[j];
    }
    notes.push(`${greyCount} greyscale image${greyCount === 1 ? ' was' : 's were'} expanded to RGB`);
  }

  let labels: Int32Array | undefined;
  if (classNames) {
    const idx = new Map(classNames.map((c, i) => [c, i]));
    labels = Int32Array.from(files, (f) => idx.get(top(f) as string) as number);
  }
  const itemBytes = size * size * channels;
  const split = everyTenthSplit(n);
  if (split.test.length === 0) notes.push(`no held-out split: ${n} image${n === 1 ? '' : 's'} (a test split needs at least 20)`);
  return makeImageDataset({
    name,
    image: { height: size, width: size, channels },
    train: gatherSplit(pixels, itemBytes, split.train, labels),
    ...(split.test.length > 0 ? { test: gatherSplit(pixels, itemBytes, split.test, labels) } : {}),
    ...(classNames ? { classNames } : {}),
    flip: true,
    notes,
  });
}
