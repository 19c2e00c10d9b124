/**
 * Image datasets: the named ones (`mnist`, `fashion-mnist`, the emoji domains `emoji`,
 * `emoji-google`, `emoji-twitter`, `emoji-category`, `openmoji-color`, `openmoji-black`), a
 * folder of PNG/JPEG images, or an IDX image file. `resolveImageDataset` returns null for any other spec so that
 * the caller can fall back to toy names and CSV files.
 */
import type { OnProgress } from '../../util/progress.js';
import { statSync } from 'node:fs';
import { DataError } from '../types.js';
import type { ImageDataset } from '../types.js';
import { loadEmoji } from './emoji.js';
import type { EmojiVendor } from './emoji.js';
import { loadImageFolder } from './folder.js';
import { sniffIdx } from './idx.js';
import { loadFashionMnist, loadIdxFileDataset, loadMnist } from './mnist.js';
import { loadOpenmoji } from './openmoji.js';
import type { OpenmojiStyle } from './openmoji.js';

export {
  DEFAULT_DEQUANTIZE,
  bytesToRgba,
  describeImageDataset,
  everyTenthSplit,
  floatToBytes,
  gatherSplit,
  imageToRgba,
  imagesToFloat,
  makeImageDataset,
} from './dataset.js';
export type { ImageDatasetParts } from './dataset.js';
export {
  IMAGE_EXTENSIONS,
  decodeImageBytes,
  decodeImageFile,
  encodeJpeg,
  encodePng,
  sniffImageFormat,
} from './decode.js';
export type { DecodedImage, ImageFormat } from './decode.js';
export { encodeIdx, parseIdx, readIdx, readIdxImages, readIdxLabels, sniffIdx } from './idx.js';
export type { IdxArray, IdxImages } from './idx.js';
export {
  compositeOnWhite,
  centreSquare,
  resizeArea,
  rgbToGray,
  grayToRgb,
  rgbaToSquareRgb,
  squareResize,
} from './resize.js';
export { cacheDir } from './cache.js';
export {
  EMOJI_DEFAULT_SIZE,
  EMOJI_VENDORS,
  emojiPackage,
  emojiPackageName,
  isCodedImageDataset,
  listEmoji,
  loadEmoji,
} from './emoji.js';
export type { CodedImageDataset, EmojiItem, EmojiOptions, EmojiVendor } from './emoji.js';
export {
  OPENMOJI_DEFAULT_SIZE,
  OPENMOJI_MAX_SIZE,
  OPENMOJI_STYLES,
  listOpenmoji,
  loadOpenmoji,
  openmojiPackage,
  openmojiRenderSide,
  rasteriseSvg,
} from './openmoji.js';
export type { OpenmojiItem, OpenmojiOptions, OpenmojiStyle } from './openmoji.js';
export { FOLDER_DEFAULT_SIZE, listImageFiles, loadImageFolder } from './folder.js';
export type { FolderOptions } from './folder.js';
export {
  DIGIT_CLASS_NAMES,
  FASHION_CLASS_NAMES,
  FASHION_MNIST_DIR,
  loadFashionMnist,
  loadIdxFileDataset,
  loadMnist,
} from './mnist.js';
export type { IdxDatasetOptions } from './mnist.js';

/** The built-in image dataset names. */
export const IMAGE_DATASET_NAMES = [
  'mnist',
  'fashion-mnist',
  'emoji',
  'emoji-google',
  'emoji-twitter',
  'emoji-category',
  'openmoji-color',
  'openmoji-black',
] as const;
export type ImageDatasetName = (typeof IMAGE_DATASET_NAMES)[number];

export interface ImageResolveOptions {
  /**
   * Image side length. emoji-*: 4–64, default 32; openmoji-*: 4–128, default 32; folders: 4–512, default 32 (32/64/128 are
   * the usual); mnist / fashion-mnist / IDX files: native 28 unless given (then centre-cropped
   * and area-resized, e.g. 32 for nets that want powers of two).
   */
  size?: number;
  /** Progress of decoding (emoji and OpenMoji on first use, folders every time). */
  onProgress?: OnProgress;
}

export function isImageDatasetName(spec: string): spec is ImageDatasetName {
  return (IMAGE_DATASET_NAMES as readonly string[]).includes(spec);
}

const IDX_NAME_RE = /-idx3-ubyte(\.gz)?$/i;

/** Emoji dataset names → vendor (`emoji` and `emoji-category` are Google emoji labelled by category). */
const EMOJI_VENDOR_OF: Record<string, EmojiVendor> = {
  emoji: 'google',
  'emoji-google': 'google',
  'emoji-category': 'google',
  'emoji-twitter': 'twitter',
};

/** OpenMoji dataset names → style. */
const OPENMOJI_STYLE_OF: Record<string, OpenmojiStyle> = {
  'openmoji-color': 'color',
  'openmoji-black': 'black',
};

/**
 * An ImageDataset for `spec` — a built-in name (IMAGE_DATASET_NAMES; names win
 * over files of the same name, write `./emoji` for the folder), an existing directory (a
 * folder of images) or an existing IDX image file (recognised by content; idx1 label files
 * are refused) — or null when the spec is none of these. Throws DataError when the spec is
 * one of these but cannot be loaded, and for a missing path named like `*-idx3-ubyte[.gz]`.
 */
export function resolveImageDataset(spec: string, opts: ImageResolveOptions = {}): ImageDataset | null {
  const s = spec.trim();
  if (s === '') return null;
  const size = opts.size !== undefined ? { size: opts.size } : {};
  const decode = { ...size, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  if (isImageDatasetName(s)) {
    if (s === 'mnist') return loadMnist(size, s);
    if (s === 'fashion-mnist') return loadFashionMnist(size, s);
    const vendor = EMOJI_VENDOR_OF[s];
    if (vendor) return loadEmoji({ ...decode, vendor }, s);
    const style = OPENMOJI_STYLE_OF[s];
    if (style) return loadOpenmoji({ ...decode, style }, s);
    throw new Error(`resolveImageDataset: built-in name '${s}' has no loader`);
  }
  let st;
  try {
    st = statSync(s);
  } catch {
    if (IDX_NAME_RE.test(s)) {
      throw new DataError(`${s}: file not found, expected an existing IDX image file (*-idx3-ubyte or *-idx3-ubyte.gz)`);
    }
    return null;
  }
  if (st.isDirectory()) return loadImageFolder(s, decode, s);
  if (!st.isFile()) return null;
  const nd = sniffIdx(s);
  if (nd === 3 || (nd === undefined && IDX_NAME_RE.test(s))) return loadIdxFileDataset(s, size, s);
  if (nd !== undefined) {
    const hint = nd === 1 ? ' (a label file: pass the matching *-images-idx3-ubyte file; its labels are found next to it)' : '';
    throw new DataError(`${s} is an IDX file with ${nd} dimension${nd === 1 ? '' : 's'}${hint}, expected an idx3 image file`);
  }
  return null;
}
