/**
 * `data-gmm`: a Gaussian mixture fitted to the (normalised) data by EM, as the flow's prior.
 *
 * The data-dependent Gaussian starts the flow with the data's mean and spread. On a target made
 * of parts separated by empty space (25 modes, the turns of a spiral), the flow must then
 * carry mass from part to part across regions the data never visit, which it does slowly:
 * the parts nearest the prior's centre end up too heavy (bench/QUALITY.md, experiment 10). A
 * mixture starts every part with about its share of the mass, widened around it (see
 * DEFAULT_MIXTURE_WIDEN), and the flow only has to draw each particle onto the support nearby.
 * This module fits low-dimensional point data (full covariances, up to MIXTURE_MAX_DIM
 * dimensions); images get the low-rank form of the same state from ./cluster-mixture.ts.
 */
import type { Rng } from '../util/rng.js';
import { DataError } from '../data/types.js';
import { cholesky } from './cholesky.js';
import type { Prior } from './index.js';
import { drawLowRankMixture, drawMixture, type ComponentProjection } from './mixture-draw.js';
import { LinearMap, fusedKernelsEnabled } from '../engine/index.js';
import { kMeansPlusPlus, nearest } from './kmeans.js';

/** Full covariances cost k·n·d² per EM iteration; above this, use `data-gaussian`. */
export const MIXTURE_MAX_DIM = 64;
/**
 * Components fitted by default: at least one per part of the data. With 16, 25gaussians missed
 * the off-support goal on one seed of three (2.16%); with 32 all 11 targets meet it on seeds
 * 0–2 (bench/QUALITY.md, experiment 11), for 0.2–2.4 CPU s of EM on 5,000 points (16: 0.2–1.1).
 */
export const DEFAULT_MIXTURE_COMPONENTS = 32;
/**
 * The prior's components are widened by this share of the data's mean variance (in
 * standardised units, a standard deviation of ~0.22 around each part). A tight mixture
 * starts the flow on the support itself, so the training flows never carry particles through
 * the space around it and the net never learns to pull strays back: they stay where the
 * prior put them (bench/QUALITY.md, experiment 10). Widened, the mixture keeps each part's
 * share of the mass and leaves the flow the drawing onto the support.
 */
export const DEFAULT_MIXTURE_WIDEN = 0.05;

/** A fitted mixture: k weights, k·dim means and k lower Cholesky factors (dim×dim, row-major), float64. */
export interface MixtureFactors {
  weights: Float64Array;
  means: Float64Array;
  chols: Float64Array;
  /** Mean log-likelihood per point of the fitted mixture on its data, and EM iterations run. */
  logLikelihood: number;
  iterations: number;
}

export interface MixtureFitOptions {
  /** EM iterations at most (default 100). */
  maxIterations?: number;
  /** Stop when the mean log-likelihood per point moves by less than this (default 1e-5). */
  tolerance?: number;
  /** Added to every covariance's diagonal, relative to the data's mean variance (default 1e-4). */
  jitter?: number;
  /**
   * Added to every covariance's diagonal after EM, relative to the data's mean variance
   * (default 0): widens each component around its part of the data (see DEFAULT_MIXTURE_WIDEN).
   */
  widen?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** The mean over coordinates of the variance (over n) of row-major points: the scale jitter and widening are relative to. */
export function meanVariance(x: ArrayLike<number>, n: number, dim: number): number {
  const mu = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) mu[a] += x[i * dim + a] / n;
  let v = 0;
  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) v += (x[i * dim + a] - mu[a]) ** 2;
  return v / (n * dim);
}

/**
 * Fits k full-covariance Gaussians to row-major points (n×dim) by EM from a k-means++ start.
 * Deterministic for a given `rng` state. Components that lose all their points are dropped.
 */
export function fitGaussianMixture(points: Float32Array, dim: number, k: number, rng: Rng, opts: MixtureFitOptions = {}): MixtureFactors {
  const n = Math.floor(points.length / dim);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`fitGaussianMixture: components must be a positive integer, got ${k}`);
  if (dim > MIXTURE_MAX_DIM) {
    throw new DataError(`the data-gmm prior fits full covariances to low-dimensional points (≤ ${MIXTURE_MAX_DIM} dims); this data has ${dim}: use --prior data-gaussian`);
  }
  if (n < 2 * k) throw new DataError(`the data-gmm prior needs at least 2 points per component: ${n} points for ${k} components (lower --prior-components)`);
  const maxIterations = opts.maxIterations ?? 100;
  const tolerance = opts.tolerance ?? 1e-5;
  const x = Float64Array.from(points.subarray(0, n * dim));
  const meanVar = meanVariance(x, n, dim);
  if (x.every((v, i) => v === x[i % dim])) throw new DataError('the data-gmm prior cannot be fitted: every data point is the same');
  const reg = (opts.jitter ?? 1e-4) * meanVar;

  // start: hard assignments to the nearest k-means centre, each cluster's own mean and covariance
  const centres = kMeansPlusPlus(x, n, dim, k, rng);
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + nearest(x, i, centres, dim, k)] = 1;
  let means = weightedMeans(x, n, dim, k, resp);
  let { weights, covs } = mStep(x, n, dim, k, resp, means, reg);

  let chols = factorAll(covs, dim, k);
  let previous = -Infinity;
  let logLikelihood = -Infinity;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    logLikelihood = eStep(x, n, dim, k, weights, means, chols, resp);
    // (the covariance floor makes EM maximise a slightly different objective, so the
    // likelihood need not rise at every step: stop when it settles)
    if (Math.abs(logLikelihood - previous) < tolerance) break;
    previous = logLikelihood;
    means = weightedMeans(x, n, dim, k, resp);
    ({ weights, covs } = mStep(x, n, dim, k, resp, means, reg));
    chols = factorAll(covs, dim, k);
  }
  if (opts.widen) {
    const extra = opts.widen * meanVar;
    for (let j = 0; j < k; j++) for (let a = 0; a < dim; a++) covs[j * dim * dim + a * dim + a] += extra;
    chols = factorAll(covs, dim, k);
  }
  // drop components with no mass left, renormalise
  const keep = Array.from({ length: k }, (_, j) => j).filter((j) => weights[j] > 1e-12);
  const total = keep.reduce((s, j) => s + weights[j], 0);
  return {
    weights: Float64Array.from(keep, (j) => weights[j] / total),
    means: Float64Array.from(keep.flatMap((j) => Array.from(means.subarray(j * dim, (j + 1) * dim)))),
    chols: Float64Array.from(keep.flatMap((j) => Array.from(chols.subarray(j * dim * dim, (j + 1) * dim * dim)))),
    logLikelihood,
    iterations,
  };
}

function weightedMeans(x: Float64Array, n: number, dim: number, k: number, resp: Float64Array): Float64Array {
  const means = new Float64Array(k * dim);
  const mass = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const r = resp[i * k + j];
      if (r === 0) continue;
      mass[j] += r;
      for (let a = 0; a < dim; a++) means[j * dim + a] += r * x[i * dim + a];
    }
  }
  for (let j = 0; j < k; j++) if (mass[j] > 0) for (let a = 0; a < dim; a++) means[j * dim + a] /= mass[j];
  return means;
}

/** Weights and covariances (+ reg·I) for the responsibilities and means. */
function mStep(x: Float64Array, n: number, dim: number, k: number, resp: Float64Array, means: Float64Array, reg: number): { weights: Float64Array; covs: Float64Array } {
  const weights = new Float64Array(k);
  const covs = new Float64Array(k * dim * dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const r = resp[i * k + j];
      if (r === 0) continue;
      weights[j] += r;
      for (let a = 0; a < dim; a++) c[a] = x[i * dim + a] - means[j * dim + a];
      const base = j * dim * dim;
      for (let a = 0; a < dim; a++) for (let b = 0; b <= a; b++) covs[base + a * dim + b] += r * c[a] * c[b];
    }
  }
  for (let j = 0; j < k; j++) {
    const base = j * dim * dim;
    const m = weights[j];
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b <= a; b++) {
        const v = m > 0 ? covs[base + a * dim + b] / m : 0;
        covs[base + a * dim + b] = v;
        covs[base + b * dim + a] = v;
      }
      covs[base + a * dim + a] += reg;
    }
    weights[j] = m / n;
  }
  return { weights, covs };
}

function factorAll(covs: Float64Array, dim: number, k: number): Float64Array {
  const chols = new Float64Array(k * dim * dim);
  for (let j = 0; j < k; j++) chols.set(cholesky(covs.subarray(j * dim * dim, (j + 1) * dim * dim), dim), j * dim * dim);
  return chols;
}

/** Responsibilities in place; returns the mean log-likelihood per point. */
function eStep(x: Float64Array, n: number, dim: number, k: number, weights: Float64Array, means: Float64Array, chols: Float64Array, resp: Float64Array): number {
  const logNorm = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let logDet = 0;
    for (let a = 0; a < dim; a++) logDet += Math.log(chols[j * dim * dim + a * dim + a]);
    logNorm[j] = weights[j] > 0 ? Math.log(weights[j]) - logDet - 0.5 * dim * LOG_2PI : -Infinity;
  }
  const y = new Float64Array(dim);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) {
      let v = -Infinity;
      if (logNorm[j] > -Infinity) {
        // ‖L⁻¹(x − μ)‖² by forward substitution
        const base = j * dim * dim;
        let q = 0;
        for (let a = 0; a < dim; a++) {
          let s = x[i * dim + a] - means[j * dim + a];
          for (let b = 0; b < a; b++) s -= chols[base + a * dim + b] * y[b];
          y[a] = s / chols[base + a * dim + a];
          q += y[a] * y[a];
        }
        v = logNorm[j] - 0.5 * q;
      }
      resp[i * k + j] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += resp[i * k + j] === -Infinity ? 0 : Math.exp(resp[i * k + j] - max);
    for (let j = 0; j < k; j++) resp[i * k + j] = resp[i * k + j] === -Infinity ? 0 : Math.exp(resp[i * k + j] - max) / sum;
    total += max + Math.log(sum);
  }
  return total / n;
}

/** A mixture prior's state with full covariances (points): k weights, k·dim means, k lower Cholesky factors. */
export interface FullMixtureState {
  name: 'data-gmm';
  dim: number;
  weights: ArrayLike<number>;
  means: ArrayLike<number>;
  chols: ArrayLike<number>;
}

/**
 * A mixture prior's state with low-rank + diagonal covariances (images, ./cluster-mixture.ts):
 * k weights, k·dim means, k factors W_c (dim×rank, row-major) and k·dim standard deviations,
 * draws clamped to [−1, 1] when `clamp`.
 */
export interface LowRankMixtureState {
  name: 'data-gmm';
  dim: number;
  weights: ArrayLike<number>;
  means: ArrayLike<number>;
  rank: number;
  factors: ArrayLike<number>;
  diagStds: ArrayLike<number>;
  clamp?: boolean;
}

export type MixtureState = FullMixtureState | LowRankMixtureState;

/** float64 copies of stored values, rounded to float32 once, so a fitted prior and one read back from a run agree. */
const asStored = (a: ArrayLike<number>): Float64Array => Float64Array.from(Float32Array.from(a));

/** The transpose of a row-major [rows × cols] matrix (float32). */
export function transposed(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/**
 * The prior a mixture state describes: each draw picks a component by weight, then
 * x₀ = μ + L·z (full) or μ + W·z + d ⊙ e (low rank), as ./mixture-draw.ts draws.
 */
export function mixturePrior(s: MixtureState): Prior {
  const { dim } = s;
  const weights = asStored(s.weights);
  const means = asStored(s.means);
  const k = weights.length;
  if (k < 1 || means.length !== k * dim) {
    throw new DataError(`data-gmm prior: expected k weights and k×${dim} means, got ${k} and ${means.length}`);
  }
  if ('chols' in s) {
    const chols = asStored(s.chols);
    if (chols.length !== k * dim * dim) throw new DataError(`data-gmm prior: expected k×${dim}×${dim} factors for ${k} components, got ${chols.length}`);
    return {
      name: 'data-gmm',
      dim,
      sample: (n, rng) => drawMixture(weights, means, chols, dim, n, () => rng.uniform(), (count) => rng.normalArray(count)),
      toJSON: () => ({ name: 'data-gmm', dim, weights: Array.from(weights), means: Array.from(means), chols: Array.from(chols) }),
    };
  }
  const { rank } = s;
  const clamp = Boolean(s.clamp);
  if (!Number.isInteger(rank) || rank < 1) throw new DataError(`data-gmm prior: rank must be a positive integer, got ${rank}`);
  const factors = Float32Array.from(s.factors);
  const diagStds = Float32Array.from(s.diagStds);
  if (factors.length !== k * dim * rank || diagStds.length !== k * dim) {
    throw new DataError(
      `data-gmm prior: expected k×${dim}×${rank} factors and k×${dim} diagonal standard deviations for ${k} components, got ${factors.length} and ${diagStds.length}`,
    );
  }
  // on our kernels, each component's draws are one GEMM: z·W_cᵀ + μ_c (float32)
  const maps: (LinearMap | undefined)[] = new Array(k);
  const project: ComponentProjection = (c, z, rows) => {
    maps[c] ??= new LinearMap(transposed(factors.subarray(c * dim * rank, (c + 1) * dim * rank), dim, rank), means.subarray(c * dim, (c + 1) * dim), rank, dim);
    return maps[c]!.apply(z, rows);
  };
  return {
    name: 'data-gmm',
    dim,
    sample: (n, rng) =>
      drawLowRankMixture(weights, means, factors, diagStds, dim, rank, clamp, n, () => rng.uniform(), (count) => rng.normalArray(count), fusedKernelsEnabled() ? project : undefined),
    toJSON: () => ({
      name: 'data-gmm',
      dim,
      weights: Array.from(weights),
      means: Array.from(means),
      rank,
      factors: Array.from(factors),
      diagStds: Array.from(diagStds),
      ...(clamp ? { clamp } : {}),
    }),
  };
}

/** Points a mixture is fitted to at most (a random subset of more): EM's cost grows with n·k. */
export const MIXTURE_FIT_MAX_POINTS = 5000;

/**
 * A mixture of `components` Gaussians fitted to the points (at most MIXTURE_FIT_MAX_POINTS of
 * them), each widened by `widen` × the data's mean variance, as a prior.
 */
export function dataMixturePrior(points: Float32Array, dim: number, components: number, rng: Rng, widen = DEFAULT_MIXTURE_WIDEN): Prior {
  const n = Math.floor(points.length / dim);
  let fitted = points;
  if (n > MIXTURE_FIT_MAX_POINTS) {
    const order = rng.permutation(n);
    fitted = new Float32Array(MIXTURE_FIT_MAX_POINTS * dim);
    for (let i = 0; i < MIXTURE_FIT_MAX_POINTS; i++) fitted.set(points.subarray(order[i] * dim, (order[i] + 1) * dim), i * dim);
  }
  const f = fitGaussianMixture(fitted, dim, components, rng, { widen });
  return mixturePrior({ name: 'data-gmm', dim, weights: f.weights, means: f.means, chols: f.chols });
}
