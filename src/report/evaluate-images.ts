/**
 * Sample quality of an image model: FID and KID of n flowed samples (clamped to [−1, 1], as
 * saved) against n real training images on the features of our own classifier for that
 * dataset, next to the same metrics between two disjoint real sets of n (the floor), the
 * model's KL/χ² estimate, and, when the feature net is a classifier of the data's classes,
 * how the samples spread over the classes.
 */
import type { ImageDataset } from '../data/types.js';
import { imagesToFloat } from '../data/images/index.js';
import type { FlowModel } from '../flow/model.js';
import { classifySamples, imageMetrics, type ClassHistogram, type FeatureNet, type ImageMetrics } from '../eval/features.js';
import { Rng } from '../util/rng.js';

export interface ImageEvaluation {
  n: number;
  fid?: number;
  kid?: number;
  kid_std?: number;
  /** FID/KID between two disjoint real sets of n (the floor). */
  reference?: { fid: number; kid: number };
  kl_estimate?: number;
  chi2_estimate?: number;
  /** Samples per class by the feature net (argmax), and its mean max-probability. */
  classes?: { fractions: number[]; mean_max_prob: number; names?: string[] };
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

export function evaluateImageSamples(
  samples: Float32Array,
  dataset: ImageDataset,
  features: FeatureNet | null,
  opts: { n: number; seed: number },
): Pick<ImageEvaluation, 'fid' | 'kid' | 'kid_std' | 'reference' | 'classes'> & { metrics?: ImageMetrics; histogram?: ClassHistogram } {
  if (!features) return {};
  const { real, other } = realImageSets(dataset, opts.n, opts.seed);
  const m = imageMetrics(features, clampImages(samples), real, other, opts.n, { seed: opts.seed });
  const h = classifySamples(features, samples, opts.n);
  return {
    fid: m.fid,
    kid: m.kid,
    kid_std: m.kidStd,
    reference: { fid: m.realFid, kid: m.realKid },
    classes: { fractions: h.fractions, mean_max_prob: h.meanMaxProb, ...(h.classNames ? { names: h.classNames } : {}) },
    metrics: m,
    histogram: h,
  };
}

export function evaluateImageModel(
  model: FlowModel,
  dataset: ImageDataset,
  features: FeatureNet | null,
  opts: { n: number; seed: number; steps?: number; batch?: number },
): { evaluation: ImageEvaluation; samples: Float32Array } {
  const samples = sampleInBatches(model, opts.n, { seed: opts.seed, steps: opts.steps, batch: opts.batch });
  const ev = evaluateImageSamples(samples.samples, dataset, features, opts);
  const evaluation: ImageEvaluation = {
    n: opts.n,
    ...(ev.fid !== undefined ? { fid: ev.fid, kid: ev.kid, kid_std: ev.kid_std, reference: ev.reference } : {}),
    ...(samples.klEstimate !== undefined ? { kl_estimate: samples.klEstimate } : {}),
    ...(samples.chi2Estimate !== undefined ? { chi2_estimate: samples.chi2Estimate } : {}),
    ...(ev.classes ? { classes: ev.classes } : {}),
    ...(features ? {} : { note: `no feature network for '${dataset.name}': run 'dggf features train --data ${dataset.name}' for FID/KID` }),
  };
  return { evaluation, samples: samples.samples };
}

/**
 * n samples flowed in batches (memory stays bounded for large n); each batch has its own seed
 * derived from `seed`. The KL/χ² estimate is averaged over batches.
 */
export function sampleInBatches(
  model: FlowModel,
  n: number,
  opts: { seed: number; steps?: number; batch?: number },
): { samples: Float32Array; klEstimate?: number; chi2Estimate?: number } {
  const batch = opts.batch ?? 250;
  const out = new Float32Array(n * model.derived.dim);
  let kl = 0;
  let chi2 = 0;
  let seen = 0;
  for (let start = 0, b = 0; start < n; start += batch, b++) {
    const m = Math.min(batch, n - start);
    const r = model.sample(m, { seed: opts.seed + 7919 * b, steps: opts.steps });
    out.set(r.samples, start * model.derived.dim);
    kl += (r.klEstimate ?? 0) * m;
    chi2 += (r.chi2Estimate ?? 0) * m;
    seen += m;
  }
  return model.logRatioNet ? { samples: out, klEstimate: kl / seen } : { samples: out, chi2Estimate: chi2 / seen };
}
