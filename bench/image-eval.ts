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
  return { config, iterations: result.iteration, totalMinutes: metrics[metrics.length - 1].elapsed_s / 60 };
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
