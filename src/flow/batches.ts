/**
 * Sampling n particles in batches, one batch at a time (a caller that writes each batch out
 * keeps memory flat whatever n). Batch b of a draw seeded s flows from the seed s + 7919·b;
 * the first batch alone records the trajectory and the KL curve when asked. The same batches
 * as FlowModel.sampleInBatches, which collects them.
 */
import type { FlowTerm } from './terms.js';
import type { FlowModel, SampleResult } from './model.js';

export interface BatchSampleOptions {
  seed: number;
  steps?: number;
  /** Particles per batch (default 250). */
  batch?: number;
  trajectoryEvery?: number;
  klCurve?: boolean;
  extraTerms?: FlowTerm[];
}

export const batchSeed = (seed: number, b: number): number => seed + 7919 * b;

export async function* sampleBatches(
  model: FlowModel,
  n: number,
  opts: BatchSampleOptions,
): AsyncGenerator<{ start: number; count: number; result: SampleResult }> {
  const batch = opts.batch ?? 250;
  for (let start = 0, b = 0; start < n; start += batch, b++) {
    const count = Math.min(batch, n - start);
    const result = await model.sample(count, {
      seed: batchSeed(opts.seed, b),
      steps: opts.steps,
      extraTerms: opts.extraTerms,
      ...(b === 0 ? { trajectoryEvery: opts.trajectoryEvery, klCurve: opts.klCurve } : {}),
    });
    yield { start, count, result };
  }
}
