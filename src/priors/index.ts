/**
 * Priors q′ the flow starts from: N(0, I), U[−1, 1]^d, a Gaussian fitted to the
 * (normalised) data: full covariance up to FULL_COVARIANCE_MAX_DIM dimensions (32×32 RGB, as
 * the authors' CIFAR-10 prior), low rank + diagonal above (64×64 RGB and up: see the limit's
 * comment), and the data prior of image
 * translation (`data`): the training images of a source dataset. Each draws row-major n×dim
 * float32 from our seeded RNG; Gaussian image priors clamp their draws to [−1, 1] as the
 * authors do. This module is bundled for the browser: it loads no files. A data prior's
 * state names its source; the images are loaded by the Node side (./image-source.ts).
 */
import type { Rng } from '../util/rng.js';
import { LinearMap, fusedKernelsEnabled } from '../engine/index.js';
import { DataError, type ImageDataset, type ImageShape } from '../data/types.js';
import { makeImageDataset } from '../data/images/dataset.js';
import { engineMeanCovariance, fitLowRankGaussian, type LowRankFactors } from './low-rank.js';
import { choleskyYielding } from './cholesky.js';
import { mixturePrior, transposed, type MixtureState } from './mixture.js';

export { cholesky, choleskyYielding } from './cholesky.js';

/** `data`: the source domain's training images (image-to-image translation; needs `priorData`). */
export const PRIORS = ['gaussian', 'uniform', 'data-gaussian', 'data-gmm', 'data'] as const;
export type PriorName = (typeof PRIORS)[number];

export interface Prior {
  name: PriorName;
  dim: number;
  sample(n: number, rng: Rng): Float32Array;
  /** What is needed to rebuild it (saved in checkpoints). */
  toJSON(): PriorState;
}

/** Full covariance: lower Cholesky factor `chol` (dim×dim, row-major). */
export interface FullGaussianState {
  name: 'data-gaussian';
  dim: number;
  mean: ArrayLike<number>;
  chol: ArrayLike<number>;
  clamp?: boolean;
}

/** Low rank + diagonal: x = mean + factor·z + diagStd ⊙ ε, factor dim×rank row-major. */
export interface LowRankGaussianState {
  name: 'data-gaussian';
  dim: number;
  mean: ArrayLike<number>;
  rank: number;
  factor: ArrayLike<number>;
  diagStd: ArrayLike<number>;
  clamp?: boolean;
}

/**
 * The data prior: draws from the TRAIN split of the source dataset `source` (a dataset spec,
 * loaded at side length `size` when given), in [−1, 1], with Gaussian dequantisation noise of
 * std `dequantize` and random horizontal flips when `flip`. The images are not stored: they
 * are loaded again from `source` when the run is loaded.
 */
export interface DataPriorState {
  name: 'data';
  dim: number;
  source: string;
  size?: number;
  dequantize: number;
  flip: boolean;
  image: ImageShape;
}

/**
 * The fields of a prior's state that hold arrays (a data-dependent Gaussian's mean and factors,
 * a mixture's weights, means and factors): a run folder keeps big ones in prior.bin.
 */
export const PRIOR_ARRAY_KEYS = ['mean', 'chol', 'factor', 'diagStd', 'weights', 'means', 'chols', 'factors', 'diagStds'] as const;

export type PriorState =
  | { name: 'gaussian'; dim: number }
  | { name: 'uniform'; dim: number }
  | FullGaussianState
  | LowRankGaussianState
  | MixtureState
  | DataPriorState;

/**
 * Above this many dimensions the data-dependent prior is fitted low rank + diagonal. Up to it
 * (64×64 grey, 32×32 RGB) the full covariance and its Cholesky factor take ≤ 134 MB each in
 * float64 and the factorisation ~d³/6 multiply-adds (3,072 values: tens of seconds on 2 cores,
 * once per run). The authors also fit 64×64 and 128×128 RGB in full on a GPU: 12,288 values
 * would take 1.2 GB per matrix and 64× the time, 49,152 values 19 GB.
 */
export const FULL_COVARIANCE_MAX_DIM = 4096;

export function gaussianPrior(dim: number): Prior {
  return { name: 'gaussian', dim, sample: (n, rng) => rng.normalArray(n * dim), toJSON: () => ({ name: 'gaussian', dim }) };
}

export function uniformPrior(dim: number): Prior {
  return { name: 'uniform', dim, sample: (n, rng) => rng.uniformArray(n * dim, -1, 1), toJSON: () => ({ name: 'uniform', dim }) };
}

/** Mean and covariance (float64) of row-major points. */
export function meanCovariance(points: Float32Array, dim: number): { mean: Float64Array; cov: Float64Array } {
  const n = points.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += points[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) c[j] = points[i * dim + j] - mean[j];
    for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) cov[a * dim + b] += c[a] * c[b];
  }
  const denom = Math.max(1, n - 1);
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      cov[a * dim + b] /= denom;
      cov[b * dim + a] = cov[a * dim + b];
    }
  }
  return { mean, cov };
}

function clampInPlace(a: Float32Array, lo: number, hi: number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = a[i] < lo ? lo : a[i] > hi ? hi : a[i];
  return a;
}

function gaussianFromFactors(dim: number, mean: ArrayLike<number>, chol: ArrayLike<number>, clamp = false): Prior {
  // factors rounded to float32 once, as stored, so a fitted prior and one read back from a run agree
  const m = Float64Array.from(Float32Array.from(mean));
  const l = Float64Array.from(Float32Array.from(chol));
  let map: LinearMap | undefined;
  return {
    name: 'data-gaussian',
    dim,
    sample(n, rng) {
      const z = rng.normalArray(n * dim);
      let out: Float32Array;
      if (fusedKernelsEnabled()) {
        // x = m + L z per row, i.e. rows z · Lᵀ + m: one GEMM on our kernels (float32)
        map ??= new LinearMap(transposed(l, dim, dim), m, dim, dim);
        out = map.apply(z, n);
      } else {
        out = new Float32Array(n * dim);
        for (let i = 0; i < n; i++) {
          for (let a = 0; a < dim; a++) {
            let s = m[a];
            for (let b = 0; b <= a; b++) s += l[a * dim + b] * z[i * dim + b];
            out[i * dim + a] = s;
          }
        }
      }
      return clamp ? clampInPlace(out, -1, 1) : out;
    },
    toJSON: () => ({ name: 'data-gaussian', dim, mean: Array.from(m), chol: Array.from(l), ...(clamp ? { clamp } : {}) }),
  };
}

function lowRankGaussian(s: LowRankGaussianState): Prior {
  const { dim, rank } = s;
  const m = Float32Array.from(s.mean);
  const w = Float32Array.from(s.factor);
  const d = Float32Array.from(s.diagStd);
  let map: LinearMap | undefined;
  return {
    name: 'data-gaussian',
    dim,
    sample(n, rng) {
      const z = rng.normalArray(n * rank);
      const e = rng.normalArray(n * dim);
      let out: Float32Array;
      if (fusedKernelsEnabled()) {
        // rows z · Wᵀ + m on our kernels (float32), then + d ⊙ e
        map ??= new LinearMap(transposed(w, dim, rank), m, rank, dim);
        out = map.apply(z, n);
        for (let i = 0; i < n * dim; i++) out[i] += d[i % dim] * e[i];
      } else {
        out = new Float32Array(n * dim);
        for (let i = 0; i < n; i++) {
          const zi = i * rank;
          for (let a = 0; a < dim; a++) {
            let v = m[a] + d[a] * e[i * dim + a];
            const row = a * rank;
            for (let k = 0; k < rank; k++) v += w[row + k] * z[zi + k];
            out[i * dim + a] = v;
          }
        }
      }
      return s.clamp ? clampInPlace(out, -1, 1) : out;
    },
    toJSON: () => ({ ...s, mean: Array.from(m), factor: Array.from(w), diagStd: Array.from(d) }),
  };
}

/**
 * The data-dependent prior: N(mean, cov + jitter·I) fitted to data points (the authors use
 * 1e-4 on [−1, 1] images; the jitter grows with the data's scale so it always regularises).
 */
export async function dataGaussianPrior(
  points: Float32Array,
  dim: number,
  jitter = 1e-4,
  opts: { clamp?: boolean; rank?: number } = {},
): Promise<Prior> {
  if (dim > FULL_COVARIANCE_MAX_DIM) {
    const f: LowRankFactors = await fitLowRankGaussian(points, dim, { rank: opts.rank ?? 128, jitter });
    return lowRankGaussian({ name: 'data-gaussian', dim, ...f, clamp: opts.clamp });
  }
  // small problems (2-D toys) stay in float64 JS; images use the engine's matmul
  const big = (points.length / dim) * dim * dim > 5e7;
  const { mean, cov } = big ? await engineMeanCovariance(points, dim) : meanCovariance(points, dim);
  let meanVar = 0;
  for (let a = 0; a < dim; a++) meanVar += cov[a * dim + a] / dim;
  const j = jitter * Math.max(1, meanVar);
  for (let a = 0; a < dim; a++) cov[a * dim + a] += j;
  try {
    return gaussianFromFactors(dim, mean, await choleskyYielding(cov, dim), opts.clamp);
  } catch {
    throw new DataError(`the data's covariance is degenerate (constant or collinear coordinates): the data-gaussian prior cannot be fitted; use --prior gaussian or --normalize`);
  }
}

const shapeText = (s: ImageShape): string => `${s.height}×${s.width}×${s.channels} (${s.channels === 1 ? 'grey' : 'RGB'})`;
const sameShape = (a: ImageShape, b: ImageShape): boolean => a.height === b.height && a.width === b.width && a.channels === b.channels;

/**
 * Throws a DataError (one line naming both datasets and both shapes) when the source domain's
 * images and the target's differ in shape: the flow moves a source image into the target space.
 */
export function checkSameImageShape(source: { name: string; image: ImageShape }, target: { name: string; image: ImageShape }): void {
  if (sameShape(source.image, target.image)) return;
  const channels =
    source.image.channels !== target.image.channels
      ? '; the channels differ too, which --size does not change (use a source with the target\'s colour model)'
      : '';
  throw new DataError(
    `the prior's source (--prior-data) ${source.name} holds ${shapeText(source.image)} images but the target (--data) ${target.name} ` +
      `holds ${shapeText(target.image)} images: both domains must have the same shape; pass --size N (config imageSize) to load both at N×N${channels}`,
  );
}

/**
 * The state of a data prior drawing from `source`'s training images: the dequantisation σ of
 * the run's data (`dequantize`) and flips where the source allows them and the run does not
 * turn them off. `spec` is how the source is named in the config (`priorData`).
 */
export function dataPriorState(
  spec: string,
  source: ImageDataset,
  opts: { size?: number; dequantize: number; flip?: boolean },
): DataPriorState {
  return {
    name: 'data',
    dim: source.dim,
    source: spec,
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    dequantize: opts.dequantize,
    flip: source.flip && opts.flip !== false,
    image: { ...source.image },
  };
}

/** A data prior with its loaded source dataset (held-out images for translation are in `source.test`). */
export interface DataPrior extends Prior {
  name: 'data';
  source: ImageDataset;
}

export function isDataPrior(p: Prior): p is DataPrior {
  return p.name === 'data';
}

/**
 * The data prior of `state` drawing from the loaded `source` (its train split; the test split
 * is never drawn). Throws a DataError when the source's images no longer have the stored shape.
 */
export function dataPrior(state: DataPriorState, source: ImageDataset): DataPrior {
  if (!sameShape(source.image, state.image) || source.dim !== state.dim) {
    throw new DataError(
      `the data prior's source ${state.source} now holds ${shapeText(source.image)} images, expected ${shapeText(state.image)} as when the run was created`,
    );
  }
  const draws = makeImageDataset({
    name: source.name,
    image: source.image,
    train: source.train,
    flip: state.flip,
    dequantize: state.dequantize,
  });
  return {
    name: 'data',
    dim: state.dim,
    source,
    sample: (n, rng) => draws.sample(n, rng),
    toJSON: () => ({ ...state, image: { ...state.image } }),
  };
}

/**
 * The prior a stored state describes. A data prior cannot be rebuilt from its state alone:
 * its source images must be loaded first (Node: `priorForRun` in ./image-source.ts; anywhere:
 * `dataPrior(state, source)`), so this throws for one instead of drawing anything else.
 */
export function priorFromState(s: PriorState): Prior {
  switch (s.name) {
    case 'gaussian':
      return gaussianPrior(s.dim);
    case 'uniform':
      return uniformPrior(s.dim);
    case 'data-gaussian':
      return 'chol' in s ? gaussianFromFactors(s.dim, s.mean, s.chol, s.clamp) : lowRankGaussian(s);
    case 'data-gmm':
      return mixturePrior(s);
    case 'data':
      throw new DataError(
        `the data prior draws the training images of its source '${s.source}', which must be loaded first ` +
          '(dataPrior(state, source); in Node priorForRun from src/priors/image-source.ts does it)',
      );
  }
}
