/**
 * The feature net that a run's FID/KID use, found for its dataset: the cached one, or for a
 * user's own data (an image folder or IDX file) one trained on the spot with progress lines
 * and cached. The named datasets (mnist, emoji, …) keep their nets under their names and are
 * trained once with `dggf features train --data NAME`; a user's folder has no such step in
 * anyone's habits, and its net takes a minute or two against the run's many, so the report
 * and `dggf eval` train it when it is missing.
 */
import type { ImageDataset } from '../data/types.js';
import { isImageDatasetName } from '../data/images/index.js';
import type { ClassifierProgress } from '../train/classifier.js';
import type { OnProgress } from '../util/progress.js';
import {
  defaultFeatureTask,
  featureNetDir,
  loadFeatureNet,
  trainFeatureNet,
  type FeatureNet,
  type FeatureNetLocation,
  type TrainFeatureNetOptions,
} from './features.js';

/** Where a dataset's feature net lives: a user's data by its image size (`<folder>-<hash>-s<size>/`), a named dataset by name. */
export function featureLocation(dataset: ImageDataset, cacheDir?: string): FeatureNetLocation {
  return {
    ...(cacheDir !== undefined ? { cacheDir } : {}),
    ...(isImageDatasetName(dataset.name) ? {} : { size: dataset.image.height }),
  };
}

/** A user's own data (a folder or IDX file), not one of the named datasets. */
export const isUserImageData = (dataset: ImageDataset): boolean => !isImageDatasetName(dataset.name);

/** What the feature net of a dataset is, in words (for progress and notes). */
export function featureTaskText(dataset: ImageDataset): string {
  return defaultFeatureTask(dataset) === 'classes'
    ? `a classifier of its ${dataset.classNames?.length ?? 'labelled'} classes`
    : 'no labels: a net that tells which of 4 rotations was applied to an image';
}

export interface DatasetFeaturesOptions {
  /** Train it when missing and the data is a user's own (default true). */
  train?: boolean;
  /** Progress lines (each ending in a newline). */
  log?(line: string): void;
  /** Progress of the training steps and the held-out accuracy, between the lines. */
  onProgress?: OnProgress;
  cacheDir?: string;
  seed?: number;
  /** Training settings of the net (tests: a tiny net); default the feature net's own. */
  net?: Pick<TrainFeatureNetOptions, 'steps' | 'batch' | 'lr' | 'filters' | 'featureDim'>;
}

/**
 * The feature net for `dataset` at its image shape: cached, else (a user's folder or IDX file,
 * `train` not false) trained now and cached; else a DataError saying which command trains it.
 */
export async function datasetFeatureNet(dataset: ImageDataset, opts: DatasetFeaturesOptions = {}): Promise<FeatureNet> {
  const where = featureLocation(dataset, opts.cacheDir);
  try {
    return await loadFeatureNet(dataset.name, { ...where, image: dataset.image });
  } catch (e) {
    if (opts.train === false || !isUserImageData(dataset)) throw e;
  }
  const log = opts.log ?? (() => {});
  log(`features: no feature net for ${dataset.name} at ${dataset.image.height}×${dataset.image.width} yet; training one for FID/KID (${featureTaskText(dataset)}), cached in ${featureNetDir(dataset.name, where)}\n`);
  const net = await trainFeatureNet(dataset, {
    ...opts.net,
    ...where,
    seed: opts.seed ?? 0,
    progressEvery: 50,
    onProgress: (p: ClassifierProgress) => log(`features: step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} accuracy ${(100 * p.accuracy).toFixed(1)}%\n`),
    onPhase: opts.onProgress,
  });
  log(`features: held-out accuracy ${(100 * net.meta.testAccuracy).toFixed(1)}% on ${net.meta.testCount} images, trained in ${net.meta.seconds.toFixed(0)} s\n`);
  return net;
}
