/**
 * `data-gmm` for images: k-means clusters of the training images, each its own Gaussian
 * (low rank + diagonal, as the data-dependent prior above 4,096 values: ./low-rank.ts), drawn
 * by the cluster's share and clamped to [−1, 1].
 *
 * Why: the flow moves little mass between modes, so where it starts decides each mode's share
 * (bench/QUALITY.md, experiments 10–11 on points). From the one data-dependent Gaussian, the
 * `mnist-cpu` flows made too few 1s and about half scribbles; from clusters, each starts near
 * a kind of digit (bench/RESULTS.md: the `mnist-cpu` experiments imgmm20, gmm20-2500 and
 * gmm40-2500, and the preset's own figures).
 *
 * EM as for points is out of reach here (a d×d covariance per component and per iteration),
 * and with a few hundred images per cluster the covariances would be rank-deficient anyway:
 * k-means gives the clusters, the images of each give its mean and covariance.
 */
import type { Rng } from '../util/rng.js';
import { DataError } from '../data/types.js';
import { fitLowRankGaussian } from './low-rank.js';
import { kMeansPlusPlus, nearest } from './kmeans.js';
import { meanVariance, mixturePrior, type LowRankMixtureState } from './mixture.js';
import type { Prior } from './index.js';

/**
 * Clusters fitted by default for images (`--prior-components`): one per IMAGES_PER_CLUSTER of the
 * images fitted, at least one, at most DEFAULT_IMAGE_MIXTURE_COMPONENTS. Measured (bench/RESULTS.md):
 * `mnist-cpu` on MNIST's 10,000 fitted images, 20 clusters FID 1.10 (the 4s at 5.1% of the samples),
 * 40 clusters 0.87–0.90 (the 1s at 13.3%), 64 clusters (156 images each) 0.719 with every digit at
 * 8.3–12.6%; `emoji-cpu` on its 3,403 images, 40 clusters (85 each): 0.529, which this rule keeps.
 */
export const DEFAULT_IMAGE_MIXTURE_COMPONENTS = 64;
/** Images per cluster by default: fewer clusters than the maximum for fewer images. */
export const IMAGES_PER_CLUSTER = 85;

/** The default number of clusters for `images` training images (an explicit --prior-components is used as given). */
export function defaultImageMixtureComponents(images: number): number {
  return Math.max(1, Math.min(DEFAULT_IMAGE_MIXTURE_COMPONENTS, Math.floor(images / IMAGES_PER_CLUSTER)));
}

/**
 * Each cluster's covariance keeps its top IMAGE_MIXTURE_RANK principal directions, the rest
 * per pixel (the data-dependent prior's choice above 4,096 values): a 28×28 cluster of
 * ~250 images draws in n·d·128 multiply-adds instead of n·d²/2, and 40 of them store
 * 16 MB instead of 98 MB.
 */
export const IMAGE_MIXTURE_RANK = 128;
/** k-means runs on at most this many values (images × dim) in float64: 10,000 MNIST or CIFAR images, fewer larger ones. */
const KMEANS_MAX_VALUES = 32_000_000;

export interface ClusterMixtureOptions {
  /** Principal directions kept per cluster (default IMAGE_MIXTURE_RANK; at most the cluster's images − 1). */
  rank?: number;
  /** Added to every variance, relative to max(1, the data's mean variance) (default 1e-4: the authors' data-dependent prior). */
  jitter?: number;
  /** Added to every variance, relative to the data's mean variance (default 0). */
  widen?: number;
  /** Clamp the draws to [−1, 1] (images in the data range). */
  clamp?: boolean;
}

/**
 * Fits `components` clusters to row-major images (n×dim) and returns the mixture's state.
 * Deterministic for a given `rng` state. Clusters of fewer than 2 images are dropped.
 */
export async function fitClusterMixture(points: Float32Array, dim: number, components: number, rng: Rng, opts: ClusterMixtureOptions = {}): Promise<LowRankMixtureState> {
  const n = Math.floor(points.length / dim);
  if (!Number.isInteger(components) || components < 1) throw new RangeError(`fitClusterMixture: components must be a positive integer, got ${components}`);
  if (n < 2 * components) {
    throw new DataError(`the data-gmm prior needs at least 2 images per cluster: ${n} images for ${components} clusters (lower --prior-components)`);
  }
  // k-means on a random subset when the images are large, then every image to its nearest centre
  const m = Math.min(n, Math.max(2 * components, Math.floor(KMEANS_MAX_VALUES / dim)));
  const order = m < n ? rng.permutation(n).slice(0, m) : null;
  const sub = new Float64Array(m * dim);
  for (let i = 0; i < m; i++) {
    const from = order ? order[i] : i;
    for (let a = 0; a < dim; a++) sub[i * dim + a] = points[from * dim + a];
  }
  // k-means needs distinct images to seed its clusters; one cluster of identical images is a point (plus the jitter), as the DDP's
  if (components > 1 && sub.every((v, i) => v === sub[i % dim])) {
    throw new DataError(`the data-gmm prior cannot be fitted with ${components} clusters: every image is the same (use --prior-components 1 or --prior data-gaussian)`);
  }
  const centres = kMeansPlusPlus(sub, m, dim, components, rng);
  const label = new Int32Array(n);
  const counts = new Int32Array(components);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) row[a] = points[i * dim + a];
    label[i] = nearest(row, 0, centres, dim, components);
    counts[label[i]]++;
  }

  const meanVar = meanVariance(points, n, dim);
  const jitter = (opts.jitter ?? 1e-4) * Math.max(1, meanVar) + (opts.widen ?? 0) * meanVar;

  const keep = Array.from({ length: components }, (_, j) => j).filter((j) => counts[j] >= 2);
  const wanted = opts.rank ?? IMAGE_MIXTURE_RANK;
  // one stored rank for all: a smaller cluster (rank ≤ its images − 1) leaves its last columns zero
  const rank = Math.max(1, Math.min(wanted, dim, Math.max(...keep.map((j) => counts[j] - 1))));
  const means = new Float32Array(keep.length * dim);
  const factors = new Float32Array(keep.length * dim * rank);
  const diagStds = new Float32Array(keep.length * dim);
  const total = keep.reduce((s, j) => s + counts[j], 0);
  const weights = keep.map((j) => counts[j] / total);
  for (let c = 0; c < keep.length; c++) {
    const j = keep[c];
    const members = new Float32Array(counts[j] * dim);
    let at = 0;
    for (let i = 0; i < n; i++) if (label[i] === j) members.set(points.subarray(i * dim, (i + 1) * dim), dim * at++);
    const f = await fitLowRankGaussian(members, dim, { rank, jitter, seed: (0x5eed + c) >>> 0 });
    means.set(f.mean, c * dim);
    diagStds.set(f.diagStd, c * dim);
    for (let a = 0; a < dim; a++) factors.set(f.factor.subarray(a * f.rank, (a + 1) * f.rank), (c * dim + a) * rank);
  }
  return { name: 'data-gmm', dim, weights, means, rank, factors, diagStds, ...(opts.clamp ? { clamp: true } : {}) };
}

/** The image mixture prior fitted to `points` (see fitClusterMixture). */
export async function imageMixturePrior(points: Float32Array, dim: number, components: number, rng: Rng, opts: ClusterMixtureOptions = {}): Promise<Prior> {
  return mixturePrior(await fitClusterMixture(points, dim, components, rng, opts));
}
