/**
 * Sample quality of a trained model against its data: MMD, energy distance and sliced W1 of
 * n flowed samples vs n fresh data points, next to the same metrics between two independent
 * data draws of that size (the scale a perfect model would reach), the model's own KL (or χ²)
 * estimate, and mode coverage for mixture toys.
 */
import type { PointDataset } from '../data/types.js';
import type { FlowModel } from '../flow/model.js';
import { evaluateSamples, modeCoverage } from '../eval/index.js';
import { Rng } from '../util/rng.js';

export interface RunEvaluation {
  n: number;
  mmd: number;
  energy: number;
  sliced_w: number;
  kl_estimate?: number;
  chi2_estimate?: number;
  /** The same metrics between two independent data draws of size n. */
  reference: { mmd: number; energy: number; sliced_w: number };
  bandwidths: number[];
  /** For toys with known modes: fraction of samples per mode, and farther than `far_threshold`. */
  modes?: { fractions: number[]; far: number; far_threshold: number };
}

/** Distance beyond which a sample counts as far from every mode (in data units). */
export function farThreshold(dataset: PointDataset): number | null {
  if (!dataset.modes || dataset.modeStd === undefined) return null;
  return Math.max(10 * dataset.modeStd, 0.15);
}

export async function evaluateModel(
  model: FlowModel,
  dataset: PointDataset,
  opts: { n: number; seed: number; steps?: number },
): Promise<{ evaluation: RunEvaluation; samples: Float32Array; reference: Float32Array }> {
  const dim = dataset.dim;
  const sampled = await model.sample(opts.n, { seed: opts.seed, steps: opts.steps });
  const rng = new Rng((opts.seed ^ 0x5eed) >>> 0);
  const ref1 = dataset.sample(opts.n, rng);
  const ref2 = dataset.sample(opts.n, rng);
  const ours = evaluateSamples(sampled.samples, ref1, dim, { seed: opts.seed });
  const base = evaluateSamples(ref2, ref1, dim, { bandwidths: ours.bandwidths, seed: opts.seed });
  const evaluation: RunEvaluation = {
    n: opts.n,
    mmd: ours.mmd,
    energy: ours.energy,
    sliced_w: ours.sliced_w,
    ...(sampled.klEstimate !== undefined ? { kl_estimate: sampled.klEstimate } : {}),
    ...(sampled.chi2Estimate !== undefined ? { chi2_estimate: sampled.chi2Estimate } : {}),
    reference: { mmd: base.mmd, energy: base.energy, sliced_w: base.sliced_w },
    bandwidths: ours.bandwidths,
  };
  const far = farThreshold(dataset);
  if (far !== null && dataset.modes) {
    const c = modeCoverage(sampled.samples, dim, dataset.modes, far);
    evaluation.modes = { fractions: c.fractions, far: c.far, far_threshold: far };
  }
  return { evaluation, samples: sampled.samples, reference: ref1 };
}
