/**
 * What the image quality scripts (eval:mnist, eval:emoji) share: training a preset into a
 * resumable run folder with progress lines, the sample draws they judge, and number formats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../src/config/resolve.js';
import type { RunConfig } from '../src/config/schema.js';
import type { ImageDataset } from '../src/data/index.js';
import { trainRun } from '../src/train/run.js';
import type { FlowModel } from '../src/flow/model.js';
import { imageMetrics, type FeatureNet } from '../src/eval/features.js';
import { clampImages, realImageSets } from '../src/report/evaluate-images.js';
import { imagesToFloat } from '../src/data/index.js';
import { dataGaussianPrior, type Prior } from '../src/priors/index.js';
import { Rng } from '../src/util/rng.js';
import { NearestRows } from '../src/eval/nearest.js';

export const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
export const f3 = (v: number): string => (Number.isFinite(v) ? v.toPrecision(3) : String(v));

export interface TrainedPreset {
  config: RunConfig;
  iterations: number;
  /** Training time over all sessions of the run folder (its metrics), in minutes. */
  totalMinutes: number;
}

/**
 * Trains `preset` on `dataset` into `out` (resuming what is there), with `configFile` laid over
 * the preset and `iterations` overriding it when given; prints progress.
 */
export async function trainPreset(opts: {
  preset: string;
  dataset: ImageDataset;
  out: string;
  seed: number;
  configFile?: string;
  iterations?: number;
}): Promise<TrainedPreset> {
  const { config, explicitKeys } = resolveConfig({
    preset: opts.preset,
    ...(opts.configFile ? { configFile: opts.configFile } : {}),
    overrides: { data: opts.dataset.name, seed: opts.seed, ...(opts.iterations ? { iterations: opts.iterations } : {}) },
    defaults: {},
  });
  const t0 = performance.now();
  let trainSeconds = 0;
  const result = await trainRun({
    dir: opts.out,
    config,
    explicitKeys,
    dataset: opts.dataset,
    onEvent: (e) => {
      if (e.type === 'log') {
        const s = e.stats;
        // a log-ratio net estimates KL(q‖p), a ratio net (LSIF) χ²(q‖p)
        const estimate = s.klEstimate !== undefined ? `KL ${s.klEstimate.toFixed(3)}` : `χ² ${s.chi2Estimate?.toFixed(3)}`;
        console.log(`it ${s.iteration} loss ${s.loss.toFixed(4)} ${estimate} ${e.itPerSec.toFixed(2)} it/s ETA ${(e.etaSeconds / 60).toFixed(1)} min`);
      }
      if (e.type === 'done') trainSeconds = e.seconds;
    },
  });
  if (result.status !== 'done') throw new Error(`training stopped: ${result.status}`);
  console.log(`trained ${result.iteration} iterations in ${(trainSeconds / 60).toFixed(1)} min this session (${((performance.now() - t0) / 60000).toFixed(1)} min wall)`);
  const metrics = fs.readFileSync(path.join(opts.out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { elapsed_s: number });
  return { config, iterations: result.iteration, totalMinutes: trainingSeconds(metrics) / 60 };
}

/**
 * Training time over all sessions of a run folder: each line's `elapsed_s` counts from the start
 * of its own session, so a resumed run's clock starts again at 0 (a drop marks a new session).
 */
export function trainingSeconds(metrics: { elapsed_s: number }[]): number {
  let total = 0;
  let previous = 0;
  for (const m of metrics) {
    if (m.elapsed_s < previous) total += previous;
    previous = m.elapsed_s;
  }
  return total + previous;
}

/**
 * Draw d of an image eval: n samples of flow seed 12345 + seed + 1000·d (clamped to [−1, 1], as
 * saved) against real set 99 + d, with their FID/KID on `features`.
 */
export async function sampleDraw(model: FlowModel, dataset: ImageDataset, features: FeatureNet, n: number, seed: number, d: number) {
  const t = performance.now();
  const { samples } = await model.sampleInBatches(n, { seed: 12345 + seed + 1000 * d });
  const seconds = (performance.now() - t) / 1000;
  clampImages(samples);
  const sets = realImageSets(dataset, n, 99 + d);
  const metrics = await imageMetrics(features, samples, sets.real, sets.other, n);
  console.log(`draw ${d + 1}: FID ${f3(metrics.fid)} KID ${f3(metrics.kid)}`);
  return { samples, seconds, sets, metrics };
}

/**
 * The FID of the data-dependent Gaussian's draws (the authors' DDP, fitted to the first 10,000
 * training images, clamped), against `real`/`other`: the prior the "FID < prior / 10" goals were
 * set against. A run that starts from a better prior (a data-gmm mixture) makes its own
 * prior's FID a harder bar; the scripts print both. Null when the run starts from the DDP itself.
 */
export async function dataGaussianReferenceFid(runPrior: Prior, dataset: ImageDataset, features: FeatureNet, sets: { real: Float32Array; other: Float32Array }, n: number): Promise<number | null> {
  if (runPrior.name === 'data-gaussian') return null;
  const count = Math.min(10000, dataset.train.count);
  const fit = imagesToFloat(dataset.train, Array.from({ length: count }, (_, i) => i));
  const ddp = await dataGaussianPrior(fit, dataset.dim, 1e-4, { clamp: true });
  const draws = clampImages(ddp.sample(n, new Rng(777)));
  return (await imageMetrics(features, draws, sets.real, sets.other, n)).fid;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** For each of n images in `x`, the distance to its nearest image in `pool` and that image's index. */
function nearest(x: Float32Array, n: number, pool: NearestRows): { distance: number[]; index: number[] } {
  const found = Array.from({ length: n }, (_, i) => pool.nearest(x, i));
  return { distance: found.map((f) => f.distance), index: found.map((f) => f.index) };
}

/**
 * The copying check: the median distance (pixel L2 in [−1, 1]) from each of n samples to its
 * nearest training image, against the same for `heldOut` (test images the run never saw;
 * ratio ≥ 0.8: not copying).
 */
export function nearestTraining(samples: Float32Array, n: number, dataset: ImageDataset, heldOut: Float32Array) {
  const train = imagesToFloat(dataset.train);
  const pool = new NearestRows(train, dataset.dim);
  const fromSamples = nearest(samples, n, pool);
  const fromHeldOut = nearest(heldOut, heldOut.length / dataset.dim, pool);
  const sampleMedian = median(fromSamples.distance);
  const heldOutMedian = median(fromHeldOut.distance);
  return { train, fromSamples, fromHeldOut, sampleMedian, heldOutMedian, ratio: sampleMedian / heldOutMedian };
}
