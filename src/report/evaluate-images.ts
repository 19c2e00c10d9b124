/**
 * Sample quality of an image model: FID and KID of n flowed samples (clamped to [−1, 1], as
 * saved) against n real training images on the features of our own classifier for that
 * dataset, next to the same metrics between two disjoint real sets of n (the floor), the
 * model's KL/χ² estimate, and how the samples spread over the data's classes by that
 * classifier.
 */
import type { ImageDataset } from '../data/types.js';
import { imagesToFloat } from '../data/images/index.js';
import type { FlowModel } from '../flow/model.js';
import { classifySamples, imageMetrics, type FeatureNet } from '../eval/features.js';
import { Rng } from '../util/rng.js';
import { isDataPrior } from '../priors/index.js';
import type { OnProgress } from '../util/progress.js';

export interface ImageEvaluation {
  n: number;
  fid?: number;
  kid?: number;
  kid_std?: number;
  /** FID/KID between two disjoint real sets of n (the floor). */
  reference?: { fid: number; kid: number };
  kl_estimate?: number;
  chi2_estimate?: number;
  /** Samples per class by the feature net (argmax), and its mean max-probability (a net of the data's classes). */
  classes?: { fractions: number[]; mean_max_prob: number; names?: string[] };
  /**
   * A rotation feature net (a folder without labels): the share of samples, and of the real
   * images they are compared with, that it judges upright (0°). Samples that lose what makes
   * an image's top and bottom score lower than real images.
   */
  upright?: { samples: number; real: number };
  /** Why FID/KID are missing, when they are. */
  note?: string;
}

/** Clamps in place to [−1, 1] (what a saved image holds). */
export function clampImages(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = x[i] < -1 ? -1 : x[i] > 1 ? 1 : Number.isNaN(x[i]) ? 0 : x[i];
  return x;
}

/** 2n distinct training images (clean: no noise, no flips), as two sets of n. */
export function realImageSets(dataset: ImageDataset, n: number, seed: number): { real: Float32Array; other: Float32Array } {
  const count = dataset.train.count;
  if (2 * n > count) throw new RangeError(`${dataset.name}: ${count} training images, need ${2 * n} for two disjoint sets of ${n}`);
  const rng = new Rng(seed);
  const idx = Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < 2 * n; i++) {
    const j = i + rng.int(count - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return { real: imagesToFloat(dataset.train, idx.slice(0, n)), other: imagesToFloat(dataset.train, idx.slice(n, 2 * n)) };
}

/**
 * The first (up to) n held-out test images of a data prior's source domain (a translation
 * run), or null when the model's prior is not a data prior or its source's test split has
 * fewer than `minCount` images (2 by default: FID/KID need two).
 */
export function heldOutSourceImages(model: FlowModel, n: number, minCount = 2): { images: Float32Array; n: number; source: string } | null {
  const prior = model.prior;
  if (!isDataPrior(prior)) return null;
  const test = prior.source.test;
  if (!test || test.count < Math.max(1, minCount)) return null;
  const m = Math.min(n, test.count);
  return { images: imagesToFloat(test, Array.from({ length: m }, (_, i) => i)), n: m, source: prior.source.name };
}

export async function evaluateImageModel(
  model: FlowModel,
  dataset: ImageDataset,
  features: FeatureNet,
  opts: { n: number; seed: number; steps?: number; batch?: number; onProgress?: OnProgress },
): Promise<{ evaluation: ImageEvaluation; samples: Float32Array }> {
  const { onProgress } = opts;
  // a translation run is judged on held-out source images (never drawn in training)
  const heldOut = heldOutSourceImages(model, opts.n);
  const sampled = heldOut
    ? await model.flowFrom(heldOut.images, heldOut.n, { seed: opts.seed, steps: opts.steps, batch: opts.batch, onProgress, phase: 'flowing held-out images' })
    : await model.sampleInBatches(opts.n, { seed: opts.seed, steps: opts.steps, batch: opts.batch, onProgress, phase: 'flowing samples' });
  if (heldOut) opts = { ...opts, n: heldOut.n };
  const { real, other } = realImageSets(dataset, opts.n, opts.seed);
  const m = await imageMetrics(features, clampImages(sampled.samples), real, other, opts.n, { seed: opts.seed, onProgress });
  const h = await classifySamples(features, sampled.samples, opts.n, 256, onProgress);
  const rotation = features.meta.task === 'rotation';
  const hReal = rotation ? await classifySamples(features, real, opts.n, 256, onProgress) : null;
  const evaluation: ImageEvaluation = {
    n: opts.n,
    fid: m.fid,
    kid: m.kid,
    kid_std: m.kidStd,
    reference: { fid: m.realFid, kid: m.realKid },
    ...(sampled.klEstimate !== undefined ? { kl_estimate: sampled.klEstimate } : {}),
    ...(sampled.chi2Estimate !== undefined ? { chi2_estimate: sampled.chi2Estimate } : {}),
    ...(hReal
      ? { upright: { samples: h.fractions[0], real: hReal.fractions[0] } }
      : { classes: { fractions: h.fractions, mean_max_prob: h.meanMaxProb, ...(h.classNames ? { names: h.classNames } : {}) } }),
  };
  return { evaluation, samples: sampled.samples };
}
