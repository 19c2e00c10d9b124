/**
 * Sample quality of a trained model against its data: MMD, energy distance and sliced W1 of
 * n flowed samples vs n fresh data points (the mean over METRIC_SETS such sets), next to the
 * same metrics between two independent data draws of that size (the scale a perfect model
 * would reach), the model's own KL (or χ²)
 * estimate, and for the built-in 2-D targets the share of samples off their known support and
 * each part's share of the samples against the data's (src/eval/support.ts).
 */
import type { PointDataset } from '../data/types.js';
import type { FlowModel } from '../flow/model.js';
import type { PartKind } from '../data/support.js';
import { defaultBandwidths, evaluateSamples, farFromData, supportFit, worstShareError, type FarFromData } from '../eval/index.js';
import { Rng } from '../util/rng.js';
import { phaseCounter, type OnProgress } from '../util/progress.js';

export interface RunEvaluation {
  /** Samples per set; MMD, energy and sliced W1 are means over `sets` sets, each against its own fresh data. */
  n: number;
  sets: number;
  mmd: number;
  energy: number;
  sliced_w: number;
  kl_estimate?: number;
  chi2_estimate?: number;
  /** The same metrics between two independent data draws of size n (mean over the sets). */
  reference: { mmd: number; energy: number; sliced_w: number };
  bandwidths: number[];
  /** Built-in 2-D targets: how close the samples keep to the known support, and how they split between its parts. */
  support?: SupportEvaluation;
  /** Point data (up to 1,250 dimensions): the share of samples farther from every data point than 99% of held-out data points are (strays, from the data alone). */
  far_from_data?: FarFromData;
}

export interface SupportEvaluation {
  /** What a part is (mode, ring, moon, arm, cell, …). */
  part_kind: PartKind;
  /** Samples counted: at least SUPPORT_SAMPLES, so that each part's share is measured to a few %. */
  n: number;
  /** A sample farther than this from every part is off the support: max(3σ, 1% of the support's spread). */
  threshold: number;
  /** Share of the samples off the support. */
  off_support: number;
  /** The same share for the data themselves (the floor a perfect sampler would score). */
  data_off_support: number;
  /** Share of the samples nearest to each part, and the same in the data. */
  shares: number[];
  data_shares: number[];
  /** max over parts of |share / data share − 1|. */
  worst_share_error: number;
  /** Median distance of the samples to the support over the data's: > 1 when the parts are drawn wider (absent for filled cells). */
  width_ratio?: number;
}

/** Samples counted for the support check (each of 25 modes then gets ~400, a share known to ±5%). */
export const SUPPORT_SAMPLES = 10000;
/**
 * Independent (samples, fresh data) comparisons that MMD, energy distance and sliced W1 are
 * averaged over: at n = 2,000 one MMD ratio of a perfect sampler ranges over 0.6–1.65, the mean of 10 over 0.9–1.17 (bench/QUALITY.md).
 */
export const METRIC_SETS = 10;
/** Data drawn once per evaluation; the fresh data sets are disjoint random subsets of it. */
export const DATA_POOL = 50000;

/** The support check of `samples` (n×2) against the dataset's known support, with the data's own figures from `data`. */
export function evaluateSupport(samples: Float32Array, dataset: PointDataset, data: Float32Array): SupportEvaluation | undefined {
  const support = dataset.support;
  if (!support || dataset.dim !== 2) return undefined;
  const fit = supportFit(samples, support);
  const ref = supportFit(data, support);
  return {
    part_kind: support.partKind,
    n: fit.n,
    threshold: fit.threshold,
    off_support: fit.offSupport,
    data_off_support: ref.offSupport,
    shares: fit.shares,
    data_shares: ref.shares,
    worst_share_error: worstShareError(fit.shares, ref.shares),
    ...(ref.medianDistance > 0 ? { width_ratio: fit.medianDistance / ref.medianDistance } : {}),
  };
}

/** Reference and held-out data points of the far-from-data check (each at most this many; samples twice as many). */
export const FAR_FROM_DATA_POINTS = 5000;
/** Work budget of the check in coordinate differences (samples × reference points × dim): 2-D gets the full counts. */
const FAR_FROM_DATA_WORK = 2 * FAR_FROM_DATA_POINTS * FAR_FROM_DATA_POINTS * 2;

/**
 * The far-from-data check of `samples`: against fresh draws for generated data, against one
 * random half of the rows (threshold from the other) for a finite set, so that no held-out point
 * is a copy of a reference one. Its own RNG, so the other metrics draw what they always drew.
 * Fewer points in more than 2 dimensions (the same work); undefined when that leaves fewer than
 * 200 points (over 1,250 dimensions) or a finite set has fewer than 200 rows.
 */
export function evaluateFarFromData(samples: Float32Array, dataset: PointDataset, seed: number): FarFromData | undefined {
  const { dim } = dataset;
  const rng = new Rng((seed ^ 0xfa7da7a) >>> 0);
  // fewer points in many dimensions: (2·cap)·cap·dim within the budget (10,000 × 5,000 in 2-D)
  const cap = Math.min(FAR_FROM_DATA_POINTS, Math.floor(Math.sqrt(FAR_FROM_DATA_WORK / (2 * dim))));
  if (cap < 200) return undefined;
  let reference: Float32Array;
  let heldOut: Float32Array;
  if (dataset.points) {
    const rows = dataset.points.length / dim;
    if (rows < 200) return undefined;
    const perm = rng.permutation(rows);
    const half = Math.min(Math.floor(rows / 2), cap);
    reference = pick(dataset.points, dim, perm, 0, half);
    heldOut = pick(dataset.points, dim, perm, half, Math.min(rows - half, cap));
  } else {
    const draw = dataset.sample(2 * cap, rng);
    reference = draw.subarray(0, cap * dim);
    heldOut = draw.subarray(cap * dim);
  }
  const n = Math.min(samples.length / dim, 2 * cap);
  return farFromData(samples.subarray(0, n * dim), reference, heldOut, dim);
}

/** Samples `evaluateModel` flows for n metric samples: METRIC_SETS sets of n, and enough for the support check. */
export function samplesToCount(dataset: PointDataset, n: number): number {
  return Math.max(METRIC_SETS * n, dataset.support && dataset.dim === 2 ? SUPPORT_SAMPLES : 0);
}

export async function evaluateModel(
  model: FlowModel,
  dataset: PointDataset,
  opts: { n: number; seed: number; steps?: number; onProgress?: OnProgress },
): Promise<{ evaluation: RunEvaluation; samples: Float32Array; reference: Float32Array }> {
  const count = samplesToCount(dataset, opts.n);
  const flowing = phaseCounter(opts.onProgress, 'flowing samples', count, 'points');
  const sampled = await model.sample(count, { seed: opts.seed, steps: opts.steps });
  flowing.set(count);
  return evaluateSampled(sampled, dataset, opts);
}

/** Rows `from`..`from + n` of `perm` picked out of the row-major pool. */
function pick(pool: Float32Array, dim: number, perm: Uint32Array, from: number, n: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) out.set(pool.subarray(perm[from + i] * dim, (perm[from + i] + 1) * dim), i * dim);
  return out;
}

/**
 * The evaluation of flowed samples (row-major, at least n rows). Each whole set of n samples
 * (up to METRIC_SETS) is compared with its own fresh data, next to a second fresh set against
 * the same data (the data-vs-data scale), and the metrics are averaged over the sets. Fresh
 * data are disjoint random subsets of one large draw, so they are independent draws even
 * where a generator spaces its points evenly (rings, moons): two such evenly spaced draws are
 * closer to each other than any sampler of independent points can be. All samples count for
 * the support check. Returns the first set of samples and its data, for pictures.
 */
export function evaluateSampled(
  sampled: { samples: Float32Array; klEstimate?: number; chi2Estimate?: number },
  dataset: PointDataset,
  opts: { n: number; seed: number; onProgress?: OnProgress },
): { evaluation: RunEvaluation; samples: Float32Array; reference: Float32Array } {
  const { dim } = dataset;
  const { n } = opts;
  const sets = Math.min(METRIC_SETS, Math.floor(sampled.samples.length / (n * dim)));
  if (sets < 1) throw new RangeError(`evaluateSampled: ${sampled.samples.length / dim} samples, expected at least n = ${n}`);
  const rng = new Rng((opts.seed ^ 0x5eed) >>> 0);
  const poolRows = Math.max(DATA_POOL, 2 * sets * n);
  const pool = dataset.sample(poolRows, rng);
  const perm = rng.permutation(poolRows);
  const data = (k: number): Float32Array => pick(pool, dim, perm, k * n, n);
  const reference = data(0);
  const bandwidths = defaultBandwidths(reference, dim);
  const sum = { mmd: 0, energy: 0, sliced_w: 0 };
  const base = { mmd: 0, energy: 0, sliced_w: 0 };
  const progress = phaseCounter(opts.onProgress, 'MMD, energy, sliced W1', sets, 'sets');
  for (let j = 0; j < sets; j++) {
    const ref1 = j === 0 ? reference : data(2 * j);
    const ours = evaluateSamples(sampled.samples.subarray(j * n * dim, (j + 1) * n * dim), ref1, dim, { bandwidths, seed: opts.seed + j });
    const floor = evaluateSamples(data(2 * j + 1), ref1, dim, { bandwidths, seed: opts.seed + j });
    for (const k of ['mmd', 'energy', 'sliced_w'] as const) {
      sum[k] += ours[k] / sets;
      base[k] += floor[k] / sets;
    }
    progress.tick();
  }
  const support = evaluateSupport(sampled.samples, dataset, pool);
  const far = evaluateFarFromData(sampled.samples, dataset, opts.seed);
  const evaluation: RunEvaluation = {
    n,
    sets,
    ...sum,
    ...(sampled.klEstimate !== undefined ? { kl_estimate: sampled.klEstimate } : {}),
    ...(sampled.chi2Estimate !== undefined ? { chi2_estimate: sampled.chi2Estimate } : {}),
    reference: base,
    bandwidths,
    ...(support ? { support } : {}),
    ...(far ? { far_from_data: far } : {}),
  };
  return { evaluation, samples: sampled.samples.subarray(0, n * dim), reference };
}
