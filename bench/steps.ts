/**
 * Step timing shared by `npm run bench` (bench/run.ts) and the GPU check (bench/gpu.ts): real
 * Trainer iterations of a preset, and the flow alone at the same size for the flow/train split.
 */
import { tf } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { makeImageDataset, resolveDataset, type ImageDataset, type ImageShape, type PointDataset } from '../src/data/index.js';
import type { RunConfigInput } from '../src/config/schema.js';
import { Trainer, deriveSetup } from '../src/train/trainer.js';
import { runFlow } from '../src/flow/index.js';
import { flowNoise } from '../src/flow/model.js';
import { Rng } from '../src/util/rng.js';

export interface IterationOptions {
  ds?: PointDataset;
  overrides?: RunConfigInput;
  repeats: number;
  warmup: number;
}

/** `count` random images of `image`'s shape (the CNN workloads time steps, not learning). */
export function syntheticImages(name: string, image: ImageShape, count = 256): ImageDataset {
  const dim = image.height * image.width * image.channels;
  const rng = new Rng(3);
  const pixels = Uint8Array.from(rng.uniformArray(count * dim, 0, 256), (v) => Math.min(255, Math.floor(v)));
  return makeImageDataset({ name, image, train: { count, pixels }, flip: false });
}

export const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Timing {
  median_ms: number;
  ms: number[];
  flow_ms_median?: number;
  train_ms_median?: number;
}

/**
 * One training iteration (Trainer.step()) of a preset (paper-toy: batch 1024, K 200, MLP 64×3,
 * LSIF-χ²; toy: batch 256, K 40, LR-KL; the CNN workloads: K = 1), and the flow alone at the same
 * size for the split: train step = median iteration − median flow.
 */
export async function timeIterations(
  preset: string,
  { ds = resolveDataset('8gaussians'), overrides = { data: '8gaussians' }, repeats, warmup }: IterationOptions,
): Promise<Timing> {
  const { config } = resolveConfig({ preset, overrides, defaults: {} });
  const tr = new Trainer(config, ds, await deriveSetup(config, ds));
  const ms: number[] = [];
  const flowMs: number[] = [];
  const rng = new Rng(1);
  for (let i = 0; i < warmup + repeats; i++) {
    const t0 = performance.now();
    await tr.step();
    const t1 = performance.now();
    // the flow alone, same size, for the split
    const x0 = tf.tensor2d(rng.normalArray(config.batch * ds.dim), [config.batch, ds.dim]);
    const t2 = performance.now();
    const r = await runFlow(x0, [tr.model.ratioTerm(true)], { steps: config.flowSteps, eta: config.eta, noise: config.noise }, flowNoise(rng.nextU32(), tr.derived));
    await r.x.data();
    const t3 = performance.now();
    tf.dispose([x0, r.x]);
    if (i >= warmup) {
      ms.push(t1 - t0);
      flowMs.push(t3 - t2);
    }
  }
  tr.dispose();
  const it = median(ms);
  const flow = median(flowMs);
  return { median_ms: it, ms, flow_ms_median: flow, train_ms_median: Math.max(0, it - flow) };
}
