/**
 * `dggf eval`: sample-quality metrics of a run against a dataset, as one JSON object.
 * Points: MMD, energy distance, sliced W1 (next to data vs data). Images: FID and KID on our
 * feature net for the dataset (next to real vs real; for a user's folder trained here when not
 * cached), class spread (or, for a folder without labels, the share judged upright), KL/χ² estimate.
 */
import { initEngine } from '../../engine/index.js';
import { isImageDataset, resolveDataset } from '../../data/index.js';
import { datasetOptions } from '../../config/resolve.js';
import { checkDataFitsRun } from '../../train/run.js';
import { loadRunSayingSkips } from '../run-loading.js';
import { MAX_EVAL_POINTS } from '../../data/limits.js';
import { Run } from '../../train/run-folder.js';
import { evaluateModel } from '../../report/evaluate-run.js';
import { evaluateImageModel } from '../../report/evaluate-images.js';
import { datasetFeatureNet } from '../../eval/dataset-features.js';
import { EXIT, UsageError } from '../errors.js';
import { createPhaseProgress } from '../phase-progress.js';

/** Default sample count: 2000 points, 1000 images (each image is a whole flow of a conv net). */
const DEFAULT_N = { points: 2000, images: 1000 };

export async function evalCommand(o: { run: string; data?: string; n?: number; seed: number; flowSteps?: number; backend?: string; engine?: string }): Promise<number> {
  const run = Run.open(o.run);
  const stored = run.stored;
  if (!stored) throw new UsageError(`--run ${o.run}: no config.json here: not a dggf run folder`);
  const loading = createPhaseProgress('data');
  const dataset = resolveDataset(o.data ?? stored.config.data, { ...datasetOptions(stored.config), onProgress: loading.onProgress });
  loading.stop();
  checkDataFitsRun(stored.derived, dataset, o.run);
  await initEngine(o.backend, { engine: o.engine });
  if (isImageDataset(dataset)) {
    const n = o.n ?? Math.min(DEFAULT_N.images, Math.floor(dataset.train.count / 2));
    if (2 * n > dataset.train.count) {
      throw new UsageError(`--n ${n}: ${dataset.name} has ${dataset.train.count} training images, at most ${Math.floor(dataset.train.count / 2)} allowed (two disjoint real sets of n)`);
    }
    // a user's folder: its feature net is trained here when not cached (progress on stderr)
    const phases = createPhaseProgress('eval');
    const features = await datasetFeatureNet(dataset, { log: (line) => phases.line(line.trimEnd()), onProgress: phases.onProgress });
    const { model, checkpoint } = loadRunSayingSkips(run);
    try {
      const { evaluation } = await evaluateImageModel(model, dataset, features, { n, seed: o.seed, steps: o.flowSteps, onProgress: phases.onProgress });
      phases.stop();
      const out = { run: o.run, data: dataset.name, iteration: checkpoint.iteration, feature_net: features.dir, ...evaluation };
      process.stdout.write(JSON.stringify(out) + '\n');
      return EXIT.ok;
    } finally {
      phases.stop();
      model.dispose();
      features.dispose();
    }
  }
  if (o.n !== undefined && o.n > MAX_EVAL_POINTS) {
    throw new UsageError(`--n ${o.n}: at most ${MAX_EVAL_POINTS} points (MMD and the energy distance compare every pair: n² of them)`);
  }
  const { model, checkpoint } = loadRunSayingSkips(run);
  const phases = createPhaseProgress('eval');
  try {
    const { evaluation } = await evaluateModel(model, dataset, { n: o.n ?? DEFAULT_N.points, seed: o.seed, steps: o.flowSteps, onProgress: phases.onProgress });
    phases.stop();
    const out = { run: o.run, data: dataset.name, iteration: checkpoint.iteration, ...evaluation };
    process.stdout.write(JSON.stringify(out) + '\n');
    return EXIT.ok;
  } finally {
    phases.stop();
    model.dispose();
  }
}
