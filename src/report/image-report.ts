/**
 * report.html for an image run: a grid of samples next to real images, the flow of an 8×8
 * grid as a GIF, FID/KID on our feature net (when trained; a user's image folder gets one
 * trained here, src/eval/dataset-features.ts) next to the real-vs-real floor, the
 * KL/χ² estimate, the loss and diagnostic curves and the configuration. Pictures go to
 * figures/; links are relative so the folder can be moved.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageDataset } from '../data/types.js';
import { imagesToFloat } from '../data/images/index.js';
import type { FeatureNet } from '../eval/features.js';
import { datasetFeatureNet, type DatasetFeaturesOptions } from '../eval/dataset-features.js';
import { loadRun } from '../train/run.js';
import type { Run } from '../train/run-folder.js';
import { imageFlowGif, imageGridPng, type ReportSection } from '../viz/index.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { evaluateImageModel, heldOutSourceImages, type ImageEvaluation } from './evaluate-images.js';
import { finishReport, fmt } from './run-report.js';
import { phaseCounter, type OnProgress } from '../util/progress.js';

export interface ImageReportResult {
  file: string;
  evaluation: ImageEvaluation;
  /** One line for the terminal. */
  summary: string;
}

/**
 * The feature net for the dataset at this image size (for a user's folder: trained now when
 * not cached, with progress lines to `log`), or why there is none (which command trains it).
 */
export async function tryLoadFeatureNet(
  dataset: ImageDataset,
  opts: DatasetFeaturesOptions = {},
): Promise<{ features: FeatureNet } | { features: null; problem: string }> {
  try {
    return { features: await datasetFeatureNet(dataset, opts) };
  } catch (e) {
    return { features: null, problem: `no FID/KID: ${(e as Error).message}` };
  }
}

const fmtShare = (f: number): string => `${(100 * f).toFixed(1)}%`;

export function describeImageEvaluation(ev: ImageEvaluation): string {
  const parts: string[] = [];
  if (ev.fid !== undefined && ev.reference) {
    parts.push(`FID ${fmt(ev.fid)} (real vs real ${fmt(ev.reference.fid)})`, `KID ${fmt(ev.kid!)} (real vs real ${fmt(ev.reference.kid)})`);
    if (ev.upright) parts.push('both on a label-free rotation net: a coarse check, see the report');
  }
  if (ev.kl_estimate !== undefined) parts.push(`KL estimate ${ev.kl_estimate.toFixed(3)}`);
  if (ev.chi2_estimate !== undefined) parts.push(`χ² estimate ${ev.chi2_estimate.toFixed(3)}`);
  if (ev.note) parts.push(ev.note);
  return parts.join(', ');
}

export interface ImageReportOptions {
  n?: number;
  seed?: number;
  /** Train a user folder's feature net when it is not cached (default true). */
  trainFeatures?: boolean;
  /** Progress lines (feature net training). */
  log?(line: string): void;
  /** Progress of the flows, FID/KID features and classification (and the feature net's training steps). */
  onProgress?: OnProgress;
}

export async function writeImageRunReport(run: Run, dataset: ImageDataset, opts: ImageReportOptions = {}): Promise<ImageReportResult> {
  const { paths } = run;
  const figDir = path.join(run.dir, 'figures');
  ensureDir(figDir);
  const { stored, model, checkpoint } = loadRun(run);
  const { onProgress } = opts;
  const loaded = await tryLoadFeatureNet(dataset, { train: opts.trainFeatures, log: opts.log, onProgress });
  const features = loaded.features;
  const cfg = stored.config;
  const seed = opts.seed ?? cfg.seed + 101;
  const shape = dataset.image;
  try {
    const write = (name: string, data: Uint8Array | string): string => {
      writeFileAtomic(path.join(figDir, name), data);
      return `figures/${name}`;
    };
    const steps = cfg.flowSteps + cfg.sampleExtraSteps;
    const every = Math.max(1, Math.round(steps / 30));
    // a translation run shows held-out source images (never drawn in training) flowing
    const heldOut = heldOutSourceImages(model, 64);
    const picture = phaseCounter(onProgress, 'flowing the 8×8 grid', heldOut?.n ?? 64, 'images');
    const flow = heldOut
      ? await model.flowFrom(heldOut.images, heldOut.n, { seed, steps, trajectoryEvery: every })
      : await model.sample(64, { seed, trajectoryEvery: every, klCurve: model.logRatioNet });
    picture.set(heldOut?.n ?? 64);
    const shown = heldOut?.n ?? 64;
    const from = heldOut ? `${heldOut.n} held-out ${heldOut.source} images` : `the ${cfg.prior} prior`;
    const grid = write('samples.png', imageGridPng(flow.samples, shown, shape, { cols: 8 }));
    const realIdx = Array.from({ length: 64 }, (_, i) => Math.floor((i * dataset.train.count) / 64));
    const real = write('data.png', imageGridPng(imagesToFloat(dataset.train, realIdx), 64, shape, { cols: 8 }));
    const frames = flow.trajectory!;
    const encoding = phaseCounter(onProgress, 'encoding the flow GIF', frames.length, 'frames');
    const gif = write(
      'flow.gif',
      imageFlowGif(
        frames.map((f) => f.points),
        shown,
        shape,
        { cols: 8, captions: frames.map((f) => `step ${f.step}`), onFrame: (k) => encoding.set(k) },
      ),
    );
    const n = opts.n ?? Math.min(1000, Math.floor(dataset.train.count / 2));
    const evaluation: ImageEvaluation = features
      ? (await evaluateImageModel(model, dataset, features, { n, seed: seed + 1, onProgress })).evaluation
      : {
          n: 0,
          note: loaded.problem,
          ...(flow.klEstimate !== undefined ? { kl_estimate: flow.klEstimate } : {}),
          ...(flow.chi2Estimate !== undefined ? { chi2_estimate: flow.chi2Estimate } : {}),
        };
    const sections: ReportSection[] = [
      {
        heading: 'Samples and the flow',
        images: [
          { src: grid, caption: `${shown} samples (EMA weights, ${steps} flow steps from ${from})` },
          { src: real, caption: `64 training images of ${dataset.name}` },
          { src: gif, caption: `the same ${shown} particles flowing from ${from}, ${steps} steps` },
        ],
      },
    ];
    const rows: [string, string | number][] = [];
    if (evaluation.fid !== undefined && evaluation.reference) {
      const rotation = features?.meta.task === 'rotation';
      const net = rotation ? `the rotation net trained on ${dataset.name}` : `our ${dataset.name} features`;
      rows.push([`FID (${net}, n = ${evaluation.n})`, `${fmt(evaluation.fid)}  (real vs real: ${fmt(evaluation.reference.fid)})`]);
      if (rotation) {
        rows.push([
          'about this FID',
          'label-free: it tells generated images from real ones, but measured unreliable for ranking models (a prior scored better than a trained run); a folder with class sub-folders gets a classifier instead',
        ]);
      }
      rows.push(['KID', `${fmt(evaluation.kid!)} ± ${fmt(evaluation.kid_std!)}  (real vs real: ${fmt(evaluation.reference.kid)})`]);
    }
    if (evaluation.classes) {
      const names = evaluation.classes.names ?? evaluation.classes.fractions.map((_, i) => String(i));
      rows.push(['samples per class', evaluation.classes.fractions.map((f, i) => `${names[i]}: ${(100 * f).toFixed(1)}%`).join(' · ')]);
      rows.push(['mean max class probability', fmt(evaluation.classes.mean_max_prob)]);
    }
    if (evaluation.upright) {
      rows.push(['judged upright by the rotation net', `${fmtShare(evaluation.upright.samples)} of samples  (real images: ${fmtShare(evaluation.upright.real)})`]);
    }
    if (evaluation.kl_estimate !== undefined) rows.push(['KL(q‖p) estimate (mean log r)', fmt(evaluation.kl_estimate)]);
    if (evaluation.chi2_estimate !== undefined) rows.push(['χ²(q‖p) estimate (mean r − 1)', fmt(evaluation.chi2_estimate)]);
    if (evaluation.note) rows.push(['note', evaluation.note]);
    sections.push({ heading: 'Sample quality', table: { rows } });
    await finishReport({ run, dataName: dataset.name, stored, iteration: checkpoint.iteration, sections, write, flowKl: flow.kl });
    return { file: paths.report, evaluation, summary: describeImageEvaluation(evaluation) };
  } finally {
    model.dispose();
    features?.dispose();
  }
}
