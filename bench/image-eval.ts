/**
 * What the image quality scripts (eval:mnist, eval:emoji) share: training a preset into a
 * resumable run folder with progress lines, and number formats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../src/config/resolve.js';
import type { RunConfig } from '../src/config/schema.js';
import type { ImageDataset } from '../src/data/index.js';
import { trainRun } from '../src/train/run.js';

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
        console.log(`it ${s.iteration} loss ${s.loss.toFixed(4)} KL ${s.klEstimate?.toFixed(3)} ${e.itPerSec.toFixed(2)} it/s ETA ${(e.etaSeconds / 60).toFixed(1)} min`);
      }
      if (e.type === 'done') trainSeconds = e.seconds;
    },
  });
  if (result.status !== 'done') throw new Error(`training stopped: ${result.status}`);
  console.log(`trained ${result.iteration} iterations in ${(trainSeconds / 60).toFixed(1)} min this session (${((performance.now() - t0) / 60000).toFixed(1)} min wall)`);
  const metrics = fs.readFileSync(path.join(opts.out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { elapsed_s: number });
  return { config, iterations: result.iteration, totalMinutes: metrics[metrics.length - 1].elapsed_s / 60 };
}
