/**
 * The feature network of an image dataset — our own small classifier (src/nets/classifier.ts)
 * trained on the dataset's labels, standing in for Inception in FID/KID — and the image
 * metrics computed on its 128-d penultimate features. A dataset without labels (a flat folder
 * of images) gets the same net trained on a label-free task instead: which of 4 rotations was
 * applied (src/eval/rotation-task.ts); meta.json records the task.
 *
 * Stored per dataset under the cache folder ($DGGF_CACHE, else $XDG_CACHE_HOME/dggf or ~/.cache/dggf) at
 * `features/<dataset-name>/` as model.json + weights.bin (TF.js layers format) + meta.json
 * (written last: a folder without it holds no usable net). FID/KID values from different
 * feature nets are not comparable; meta.json records which one (dataset, seed, accuracy, date).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { activeBackend, readAndDispose, tf } from '../engine/index.js';
import { DataError, type ImageDataset, type ImageShape } from '../data/types.js';
import { cacheDir, imagesToFloat, isImageDatasetName } from '../data/images/index.js';
import {
  classifierFeatures,
  classifierLogits,
  createClassifier,
  pixelsPerImage,
  shapeText,
  type ImageClassifier,
} from '../nets/classifier.js';
import { classifierSplits, datasetClassCount, trainClassifier, type ClassifierProgress } from '../train/classifier.js';
import { loadClassifier, saveClassifier } from '../train/classifier-file.js';
import { Rng } from '../util/rng.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { PACKAGE_VERSION } from '../util/version.js';
import { phaseCounter, type OnProgress } from '../util/progress.js';
import { fid } from './fid.js';
import { ROTATION_CLASS_NAMES, rotationDataset, rotationSourceCount } from './rotation-task.js';
import { kid } from './kid.js';

/**
 * What the feature net was trained to tell: the dataset's classes, or (no labels) which of 4
 * rotations was applied to an image (src/eval/rotation-task.ts).
 */
export type FeatureTask = 'classes' | 'rotation';

export interface FeatureNetMeta {
  format: 1;
  dataset: string;
  image: ImageShape;
  /** Absent in files from before it existed: 'classes'. */
  task?: FeatureTask;
  /** Outputs of the net: the dataset's classes, or 4 rotations. */
  classes: number;
  classNames?: string[];
  /** Accuracy on the held-out images (the test split, or every 10th training image). */
  testAccuracy: number;
  testCount: number;
  heldOut: 'test' | 'holdout';
  featureDim: number;
  /**
   * RMS of the features over (up to 2000) held-out images: imageMetrics divides features by
   * it, so that xᵀy/d is O(1) as KID's cubic kernel assumes (raw ReLU features here have
   * norms of 60–130, which puts KID in the thousands and lets a few images dominate it).
   * Absent in files from before it existed: then 1.
   */
  featureScale?: number;
  steps: number;
  batch: number;
  seed: number;
  seconds: number;
  backend: string | null;
  /** ISO date of training. */
  date: string;
  dggf: string;
}

export interface FeatureNet {
  /** Dataset name the net was trained for. */
  name: string;
  /** Folder it is stored in. */
  dir: string;
  meta: FeatureNetMeta;
  classifier: ImageClassifier;
  dispose(): void;
}

/** A feature net or a bare classifier: anything with a classifier to run. */
export type FeatureSource = FeatureNet | ImageClassifier;

function classifierOf(net: FeatureSource): ImageClassifier {
  return 'classifier' in net ? net.classifier : net;
}

const META_FILE = 'meta.json';

/**
 * Folder name for a dataset: built-in names (mnist, fashion-mnist, emoji) as they are; anything
 * else (a folder or IDX file path) as its sanitised base name plus a hash of the resolved path, so two folders called
 * `faces` do not share a net.
 */
export function featureNetFolderName(datasetName: string): string {
  if (isImageDatasetName(datasetName)) return datasetName;
  const resolved = path.resolve(datasetName);
  const base = path.basename(resolved).replace(/[^a-z0-9._-]+/gi, '_').replace(/^[._]+/, '').slice(0, 40) || 'data';
  const hash = createHash('sha256').update(resolved).digest('hex').slice(0, 8);
  return `${base}-${hash}`;
}

export interface FeatureNetLocation {
  /** Cache root instead of cacheDir() ($DGGF_CACHE, $XDG_CACHE_HOME/dggf or ~/.cache/dggf). */
  cacheDir?: string;
  /**
   * Image side length the dataset was loaded at, when given explicitly (e.g. mnist at 32):
   * such nets live in `<dataset>-s<size>/` beside the default-size one.
   */
  size?: number;
}

/** `<cache>/features/<dataset>/` (or `<dataset>-s<size>/`), cache = cacheDir(). */
export function featureNetDir(datasetName: string, where: FeatureNetLocation = {}): string {
  const folder = featureNetFolderName(datasetName) + (where.size !== undefined ? `-s${where.size}` : '');
  return path.join(where.cacheDir ?? cacheDir(), 'features', folder);
}

export interface TrainFeatureNetOptions extends FeatureNetLocation {
  /** Optimiser steps (default DEFAULT_FEATURE_STEPS). */
  steps?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  onProgress?(p: ClassifierProgress): void;
  progressEvery?: number;
  /** Progress of the training steps and the held-out accuracy (TrainClassifierOptions.onPhase). */
  onPhase?: OnProgress;
  /** Write it to the cache (default true). */
  save?: boolean;
  /** Conv widths / feature width (defaults [32, 64, 128] / 128). */
  filters?: number[];
  featureDim?: number;
  /** Default: 'classes' when the dataset has labels of ≥ 2 classes, else 'rotation'. */
  task?: FeatureTask;
}

/** Default step budget: about one epoch of MNIST at batch 128 (≈ 98.5% test accuracy). */
export const DEFAULT_FEATURE_STEPS = 500;
/** Passes over a small training set that the default step budget is capped at. */
const MAX_DEFAULT_EPOCHS = 20;

/** DEFAULT_FEATURE_STEPS, or fewer for a small set: at most MAX_DEFAULT_EPOCHS passes (at least 20 steps). */
export function defaultFeatureSteps(trainImages: number, batch = 128): number {
  return Math.min(DEFAULT_FEATURE_STEPS, Math.max(20, Math.ceil((MAX_DEFAULT_EPOCHS * trainImages) / batch)));
}

/**
 * Step budget of a rotation net: it learns its task fast (2,000 Fashion-MNIST images as a flat
 * folder, 32×32: 89% training accuracy at 50 steps, 95% at 125, 93.8% held out at 150, in
 * 155 s of CPU; bench/RESULTS.md "Any image folder"), and a folder's report trains it, so it
 * gets fewer steps than a classifier of many classes.
 */
export const DEFAULT_ROTATION_STEPS = 200;

/** The default step budget of `dataset`'s feature net for `task` (see defaultFeatureSteps). */
export function plannedFeatureSteps(dataset: ImageDataset, task: FeatureTask, batch = 128): number {
  const n = dataset.train.count;
  const train = task === 'rotation' ? 4 * rotationSourceCount(dataset) : dataset.test && dataset.test.count > 0 ? n : n - Math.floor(n / 10);
  const steps = defaultFeatureSteps(train, batch);
  return task === 'rotation' ? Math.min(DEFAULT_ROTATION_STEPS, steps) : steps;
}

/** The task a feature net of `dataset` learns by default: its classes when it has labels of ≥ 2 classes, else rotations. */
export function defaultFeatureTask(dataset: ImageDataset): FeatureTask {
  return dataset.train.labels && datasetClassCount(dataset) >= 2 ? 'classes' : 'rotation';
}

/**
 * Train the feature net of `dataset` and store it in the cache: a classifier of its labels
 * (task 'classes'), or for a dataset without labels one that tells which of 4 rotations
 * was applied (task 'rotation', src/eval/rotation-task.ts).
 */
export async function trainFeatureNet(dataset: ImageDataset, opts: TrainFeatureNetOptions = {}): Promise<FeatureNet> {
  const task = opts.task ?? defaultFeatureTask(dataset);
  if (opts.size !== undefined && (dataset.image.height !== opts.size || dataset.image.width !== opts.size)) {
    throw new RangeError(`trainFeatureNet: size ${opts.size} given, but the dataset's images are ${shapeText(dataset.image)}`);
  }
  const seed = opts.seed ?? 0;
  const taskSet = task === 'rotation' ? rotationDataset(dataset, { seed }) : dataset;
  const classes = datasetClassCount(taskSet);
  if (!taskSet.train.labels) {
    throw new DataError(`dataset '${dataset.name}' has no class labels; a 'classes' feature net needs labelled images (for a folder: one sub-folder per class)`);
  }
  if (classes < 2) throw new DataError(`dataset '${dataset.name}' has ${classes} class, expected at least 2 for a classifier`);
  const batch = opts.batch ?? 128;
  const steps = opts.steps ?? plannedFeatureSteps(dataset, task, batch);
  const rng = new Rng(seed);
  const clf = createClassifier(
    { image: dataset.image, classes, filters: opts.filters, featureDim: opts.featureDim },
    rng.fork(0),
    task === 'rotation' ? [...ROTATION_CLASS_NAMES] : dataset.classNames,
  );
  try {
    const result = await trainClassifier(clf, taskSet, {
      steps,
      batch,
      lr: opts.lr,
      rng: rng.fork(1),
      onProgress: opts.onProgress,
      progressEvery: opts.progressEvery,
      onPhase: opts.onPhase,
    });
    // the scale of real, upright images' features: what FID/KID see (rotation: label 0 only)
    const scale = await heldOutFeatureScale(clf, taskSet, new Rng(seed).fork(2), task === 'rotation' ? 0 : undefined, opts.onPhase);
    const meta: FeatureNetMeta = {
      format: 1,
      dataset: dataset.name,
      image: { ...dataset.image },
      task,
      classes,
      ...(taskSet.classNames ? { classNames: [...taskSet.classNames] } : {}),
      testAccuracy: result.testAccuracy,
      testCount: result.testCount,
      heldOut: result.heldOut,
      featureDim: clf.featureDim,
      featureScale: scale,
      steps: result.steps,
      batch,
      seed,
      seconds: result.seconds,
      backend: activeBackend(),
      date: new Date().toISOString(),
      dggf: PACKAGE_VERSION,
    };
    const dir = featureNetDir(dataset.name, opts);
    if (opts.save ?? true) {
      ensureDir(dir);
      // meta.json last: it marks the folder complete; remove an old one first so that an
      // interrupted save never pairs old meta with new weights
      fs.rmSync(path.join(dir, META_FILE), { force: true });
      await saveClassifier(clf, dir);
      writeFileAtomic(path.join(dir, META_FILE), JSON.stringify(meta, null, 2) + '\n');
    }
    return { name: dataset.name, dir, meta, classifier: clf, dispose: () => clf.dispose() };
  } catch (e) {
    clf.dispose();
    throw e;
  }
}

/** RMS over all values of the features of n flat images. */
export async function featureScale(net: FeatureSource, images: Float32Array, n: number, onProgress?: OnProgress): Promise<number> {
  const progress = phaseCounter(onProgress, 'feature scale', n, 'images');
  const f = await extractFeatures(net, images, n, 256, (done) => progress.set(done));
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i] * f[i];
  return Math.sqrt(s / Math.max(1, f.length));
}

/** featureScale on up to 2000 random held-out images (the classifier's test set; with `label`, only those of that label). */
async function heldOutFeatureScale(clf: ImageClassifier, dataset: ImageDataset, rng: Rng, label?: number, onProgress?: OnProgress): Promise<number> {
  const { test } = classifierSplits(dataset);
  const indices = label === undefined ? test.indices : test.indices.filter((i) => test.labels[i] === label);
  const m = Math.min(2000, indices.length);
  const pick = rng.permutation(indices.length).subarray(0, m);
  const images = imagesToFloat(test.split, Array.from(pick, (k) => indices[k]));
  const scale = await featureScale(clf, images, m, onProgress);
  return scale > 0 && Number.isFinite(scale) ? scale : 1;
}

export interface LoadFeatureNetOptions extends FeatureNetLocation {
  /** The image shape the net must take (e.g. the dataset's, at the size in use). */
  image?: ImageShape;
}

function readMeta(metaFile: string, cmd: string): FeatureNetMeta {
  try {
    return JSON.parse(fs.readFileSync(metaFile, 'utf8')) as FeatureNetMeta;
  } catch (e) {
    throw new DataError(`${metaFile}: not readable JSON (${(e as Error).message}); run '${cmd}' again`);
  }
}

const sameShape = (a: ImageShape | undefined, b: ImageShape): boolean =>
  a !== undefined && a.height === b.height && a.width === b.width && a.channels === b.channels;

/**
 * The stored feature net of `datasetName`. With `size`, `<dataset>-s<size>/` is tried first,
 * then the default folder if its net takes size×size images. Missing: a DataError saying
 * which command trains it. `image`: the shape the net must take.
 */
export async function loadFeatureNet(datasetName: string, opts: LoadFeatureNetOptions = {}): Promise<FeatureNet> {
  const quoted = /[\s'"]/.test(datasetName) ? JSON.stringify(datasetName) : datasetName;
  const cmd = `dggf features train --data ${quoted}${opts.size !== undefined ? ` --size ${opts.size}` : ''}`;
  const candidates = opts.size !== undefined ? [featureNetDir(datasetName, opts), featureNetDir(datasetName, { cacheDir: opts.cacheDir })] : [featureNetDir(datasetName, opts)];
  const fits = (m: FeatureNetMeta): boolean =>
    (opts.size === undefined || (m.image?.height === opts.size && m.image?.width === opts.size)) && (!opts.image || sameShape(m.image, opts.image));
  let mismatch: { file: string; meta: FeatureNetMeta } | null = null;
  for (const dir of candidates) {
    const metaFile = path.join(dir, META_FILE);
    if (!fs.existsSync(metaFile)) continue;
    const meta = readMeta(metaFile, cmd);
    if (!fits(meta)) {
      mismatch ??= { file: metaFile, meta };
      continue;
    }
    const classifier = await loadClassifier(dir, { image: meta.image, classes: meta.classes });
    return { name: datasetName, dir, meta, classifier, dispose: () => classifier.dispose() };
  }
  if (mismatch) {
    const want = opts.image ? shapeText(opts.image) : `${opts.size}×${opts.size}`;
    const got = mismatch.meta.image ? shapeText(mismatch.meta.image) : 'unknown';
    throw new DataError(`${mismatch.file}: the feature network for '${datasetName}' takes ${got} images, expected ${want}; run '${cmd}'`);
  }
  throw new DataError(`no feature network for '${datasetName}' (expected ${path.join(candidates[0], META_FILE)}); run '${cmd}' first`);
}

function checkImages(clf: ImageClassifier, images: ArrayLike<number>, n: number, what: string): number {
  const per = pixelsPerImage(clf.image);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}: n is ${n}, expected an integer ≥ 0`);
  if (images.length < n * per) {
    throw new RangeError(
      `${what}: ${images.length} values, expected at least ${n} images × ${per} (${shapeText(clf.image)}) = ${n * per}`,
    );
  }
  return per;
}

/** The 128-d features [n × featureDim] of n flat images (values in [−1, 1]). */
export async function extractFeatures(
  net: FeatureSource,
  images: Float32Array,
  n: number,
  batch = 256,
  /** Called with the images done after each batch. */
  onBatch?: (done: number) => void,
): Promise<Float32Array> {
  const clf = classifierOf(net);
  const per = checkImages(clf, images, n, 'extractFeatures');
  const out = new Float32Array(n * clf.featureDim);
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const f = tf.tidy(() => classifierFeatures(clf, tf.tensor2d(images.subarray(start * per, (start + b) * per), [b, per])));
    out.set((await readAndDispose(f))[0], start * clf.featureDim);
    onBatch?.(start + b);
  }
  return out;
}

export interface ImageMetrics {
  /** FID of the samples against `real` (on features / featureScale). */
  fid: number;
  /** KID (unbiased MMD², cubic kernel) of the samples against `real`, mean and std over subsets. */
  kid: number;
  kidStd: number;
  /** The same for `realOther` against `real` (two disjoint real sets of n): the floor to compare with. */
  realFid: number;
  realKid: number;
  realKidStd: number;
  n: number;
  kidSubsets: number;
  kidSubsetSize: number;
  /** The features were divided by this before FID/KID. */
  featureScale: number;
}

export interface ImageMetricsOptions {
  /** KID subsets (default 10). */
  kidSubsets?: number;
  /** KID subset size (default 1000 when n ≥ 2000, else ⌊n/2⌋, so subsets differ and the std means something). */
  kidSubsetSize?: number;
  /** Seed for the KID subsets (default 0). */
  seed?: number;
  /** Divide features by this (default: the net's meta.featureScale, 1 for a bare classifier). */
  featureScale?: number;
  /** Progress: the images (3n) whose features are computed ('FID/KID features'). */
  onProgress?: OnProgress;
}

/**
 * FID and KID of n samples against n real images on the feature net's features (divided by
 * its fixed featureScale), and of n other real images (disjoint from `real`) against `real`
 * for scale. All images flat, [−1, 1]. Pick the real sets at random: dataset order is not
 * random (emoji are sorted by category, MNIST's test set by writer group), and contiguous
 * blocks inflate the real-vs-real floor. Values depend on n (FID is biased upward at small
 * n): compare only at equal n, on the same feature net.
 */
export async function imageMetrics(
  net: FeatureSource,
  samples: Float32Array,
  real: Float32Array,
  realOther: Float32Array,
  n: number,
  opts: ImageMetricsOptions = {},
): Promise<ImageMetrics> {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`imageMetrics: n is ${n}, expected an integer ≥ 2`);
  const clf = classifierOf(net);
  const scale = opts.featureScale ?? ('classifier' in net ? (net.meta.featureScale ?? 1) : 1);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`imageMetrics: featureScale is ${scale}, expected a number > 0`);
  const progress = phaseCounter(opts.onProgress, 'FID/KID features', 3 * n, 'images');
  let before = 0;
  const scaled = async (x: Float32Array): Promise<Float32Array> => {
    // batches of 128: a pipe's line comes between them (the forward pass holds the thread)
    const f = await extractFeatures(clf, x, n, 128, (done) => progress.set(before + done));
    before += n;
    if (scale !== 1) for (let i = 0; i < f.length; i++) f[i] /= scale;
    return f;
  };
  const fs_ = await scaled(samples);
  const fr = await scaled(real);
  const fo = await scaled(realOther);
  const d = clf.featureDim;
  const subsetSize = opts.kidSubsetSize ?? (n >= 2000 ? 1000 : Math.max(2, Math.floor(n / 2)));
  const subsets = opts.kidSubsets ?? 10;
  // KID's subsets and FID's two fits, of the samples and of the real floor
  const stats = phaseCounter(opts.onProgress, 'KID and FID', 2 * subsets + 2, 'steps');
  const k = kid(fs_, fr, d, { subsets, subsetSize, seed: opts.seed ?? 0, onSubset: (s) => stats.set(s) });
  const kr = kid(fo, fr, d, { subsets, subsetSize, seed: opts.seed ?? 0, onSubset: (s) => stats.set(subsets + s) });
  const fidSamples = fid(fs_, fr, d);
  stats.tick();
  const fidReal = fid(fo, fr, d);
  stats.tick();
  return {
    fid: fidSamples,
    kid: k.kid,
    kidStd: k.std,
    realFid: fidReal,
    realKid: kr.kid,
    realKidStd: kr.std,
    n,
    kidSubsets: k.subsets,
    kidSubsetSize: k.subsetSize,
    featureScale: scale,
  };
}

export interface ClassHistogram {
  n: number;
  /** Images assigned (argmax) to each class. */
  counts: number[];
  /** counts / n. */
  fractions: number[];
  /** Mean over images of the largest class probability (confidence). */
  meanMaxProb: number;
  classNames?: string[];
}

/**
 * Classify flat images (values in [−1, 1]; n = all of them unless given): class histogram and
 * mean max-probability. E.g. the MNIST check: samples spread over all 10 digits (each 5–20%)
 * with mean max-probability ≥ 0.8.
 */
export async function classifySamples(
  net: FeatureSource,
  samples: Float32Array,
  n?: number,
  batch = 256,
  /** Progress: the images classified ('classifying'). */
  onProgress?: OnProgress,
): Promise<ClassHistogram> {
  const clf = classifierOf(net);
  const per = pixelsPerImage(clf.image);
  const count = n ?? Math.floor(samples.length / per);
  checkImages(clf, samples, count, 'classifySamples');
  const counts = new Array<number>(clf.classes).fill(0);
  let maxProbSum = 0;
  const progress = phaseCounter(onProgress, 'classifying', count, 'images');
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start);
    const [idxT, probT] = tf.tidy(() => {
      const probs = tf.softmax(classifierLogits(clf, tf.tensor2d(samples.subarray(start * per, (start + b) * per), [b, per])));
      return [tf.argMax(probs, 1), tf.max(probs, 1)];
    });
    const [idx, p] = await readAndDispose(idxT, probT);
    for (let k = 0; k < b; k++) {
      counts[idx[k]]++;
      maxProbSum += p[k];
    }
    progress.tick(b);
  }
  return {
    n: count,
    counts,
    fractions: counts.map((c) => (count > 0 ? c / count : NaN)),
    meanMaxProb: count > 0 ? maxProbSum / count : NaN,
    ...(clf.classNames ? { classNames: [...clf.classNames] } : {}),
  };
}
