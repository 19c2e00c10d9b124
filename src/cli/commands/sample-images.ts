/**
 * `dggf sample` for image runs: DIR/000000.png … (clamped to [−1, 1] on save) and DIR/grid.png,
 * optionally a GIF of an 8×8 grid flowing from the prior and the KL estimate per flow step.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FlowModel } from '../../flow/model.js';
import type { ImageShape } from '../../data/types.js';
import { imageFlowGif, imageGridPng, imagePng } from '../../viz/index.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import { UsageError } from '../errors.js';

export interface ImageSampleOptions {
  n: number;
  out: string;
  seed: number;
  steps: number;
  gif?: string;
  klCurve?: string;
}

export function checkImageOutDir(out: string): void {
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out}: is a file; for an image run --out is a folder for the PNGs`);
  }
  const parent = path.dirname(path.resolve(out));
  if (!fs.existsSync(parent)) throw new UsageError(`--out ${out}: the folder ${parent} does not exist`);
}

/** Flows n images in batches, writes them; returns the lines to print. Non-finite output → null. */
export function sampleImages(model: FlowModel, shape: ImageShape, o: ImageSampleOptions): string[] | null {
  const dim = model.derived.dim;
  const { samples: all, kl, trajectory } = model.sampleInBatches(o.n, {
    seed: o.seed,
    steps: o.steps,
    klCurve: Boolean(o.klCurve),
    trajectoryEvery: o.gif ? Math.max(1, Math.round(o.steps / 30)) : undefined,
  });
  if (!all.every(Number.isFinite)) return null;
  fs.mkdirSync(o.out, { recursive: true });
  const digits = Math.max(6, String(o.n - 1).length);
  for (let i = 0; i < o.n; i++) {
    writeFileAtomic(path.join(o.out, `${String(i).padStart(digits, '0')}.png`), imagePng(all, i, shape));
  }
  const gridN = Math.min(o.n, 100);
  writeFileAtomic(path.join(o.out, 'grid.png'), imageGridPng(all, gridN, shape, { cols: Math.min(10, gridN) }));
  const lines = [`wrote ${o.n} images and grid.png to ${o.out}`];
  if (o.gif && trajectory) {
    const k = Math.min(64, trajectory[0].points.length / dim);
    const frames = trajectory.map((t) => t.points.subarray(0, k * dim));
    writeFileAtomic(o.gif, imageFlowGif(frames, k, shape, { cols: Math.min(8, k), captions: trajectory.map((t) => `step ${t.step}`) }));
    lines.push(`wrote the flow of ${k} images (${trajectory.length} frames) to ${o.gif}`);
  }
  if (o.klCurve && kl) {
    writeFileAtomic(o.klCurve, 'step,kl_estimate\n' + kl.map((v, i) => `${i},${v}`).join('\n') + '\n');
    lines.push(`wrote the KL estimate at ${kl.length} flow steps to ${o.klCurve}`);
  }
  return lines;
}
