/**
 * `dggf classifier train`: train an image classifier p(y|x) on a labelled image dataset (for
 * classifier-guided sampling, `dggf sample --class`) and save it to a folder as model.json +
 * weights.bin. Progress lines go to stderr; the held-out accuracy and the folder to stdout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { initEngine } from '../../engine/index.js';
import { resolveDataset } from '../../data/index.js';
import { isImageDataset } from '../../data/types.js';
import { DataError } from '../../data/types.js';
import { createClassifier, shapeText, type ClassifierHead } from '../../nets/classifier.js';
import { datasetClassCount, trainClassifier } from '../../train/classifier.js';
import { saveClassifier } from '../../train/classifier-file.js';
import { Rng } from '../../util/rng.js';
import { classifierAccuracyLine, classifierProgressLine } from '../progress.js';
import { createPhaseProgress } from '../phase-progress.js';
import { ensureDir } from '../../util/fs-atomic.js';
import { EXIT, UsageError } from '../errors.js';
import { positiveInt } from '../options.js';

/** Default training steps (about one epoch of MNIST at batch 128). */
export const CLASSIFIER_DEFAULT_STEPS = 500;
export const CLASSIFIER_DEFAULT_BATCH = 128;
export const CLASSIFIER_HEADS: readonly ClassifierHead[] = ['flatten', 'gap'];

export interface ClassifierTrainOptions {
  data: string;
  out: string;
  steps?: number;
  batch?: number;
  seed?: number;
  filters?: number[];
  head?: ClassifierHead;
  /** Noise augmentation (trainClassifier's `noise`). */
  noise?: number;
  /** Adversarial training radius (trainClassifier's `adversarial`). */
  adversarial?: number;
  /** Attack steps of adversarial training (trainClassifier's `adversarialSteps`). */
  adversarialSteps?: number;
  /** Radius ramp of adversarial training (trainClassifier's `adversarialWarmup`). */
  adversarialWarmup?: number;
  size?: number;
  backend?: string;
  engine?: string;
}

/** `--filters 32,64,128`: one or more conv widths, each a whole number > 0. */
export function filterList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new InvalidArgumentError(`expected conv widths such as 32,64,128, got '${value}'.`);
  }
  return parts.map((p) => positiveInt(p));
}

/** A classifier's folder from `option`'s value: the folder itself, or the folder of a path ending in model.json. */
export function classifierDir(spec: string, option: string): string {
  if (path.basename(spec) === 'model.json') return path.dirname(spec);
  if (fs.existsSync(spec) && !fs.statSync(spec).isDirectory()) {
    throw new UsageError(`${option} ${spec}: is a file; expected a classifier folder (model.json + weights.bin) or the path of its model.json`);
  }
  return spec;
}

export async function classifierTrainCommand(o: ClassifierTrainOptions, stream: NodeJS.WritableStream = process.stderr): Promise<number> {
  const dir = classifierDir(o.out, '--out');
  if (o.adversarialSteps !== undefined && !o.adversarial) {
    throw new UsageError(`--adversarial-steps ${o.adversarialSteps}: needs --adversarial ε > 0 (the radius the attack steps within)`);
  }
  if (o.adversarialWarmup !== undefined && !o.adversarial) {
    throw new UsageError(`--adversarial-warmup ${o.adversarialWarmup}: needs --adversarial ε > 0 (the radius it ramps up to)`);
  }
  const backend = await initEngine(o.backend, { engine: o.engine });
  const loading = createPhaseProgress('data', stream);
  const dataset = resolveDataset(o.data, { ...(o.size !== undefined ? { imageSize: o.size } : {}), onProgress: loading.onProgress });
  loading.stop();
  if (!isImageDataset(dataset)) {
    throw new UsageError(`--data '${o.data}' is not an image dataset, expected a labelled image dataset (mnist, fashion-mnist, emoji-category, emoji-twitter, openmoji-color, …) or a folder of images with one sub-folder per class`);
  }
  if (!dataset.train.labels) {
    throw new DataError(
      `--data '${o.data}': the images have no class labels; a classifier needs labelled images (for a folder: one sub-folder per class, at least 2)`,
    );
  }
  const classes = datasetClassCount(dataset);
  if (classes < 2) throw new DataError(`--data '${o.data}': ${classes} class, expected at least 2 for a classifier`);
  ensureDir(dir); // parents too, as train --out; after the input checks (bad input writes nothing), before training
  const steps = o.steps ?? CLASSIFIER_DEFAULT_STEPS;
  const batch = o.batch ?? CLASSIFIER_DEFAULT_BATCH;
  const seed = o.seed ?? 0;
  const tests = dataset.test?.labels ? `${dataset.test.count} test` : 'no labelled test split (every 10th training image held out)';
  stream.write(
    `classifier: ${dataset.name}: ${dataset.train.count} training images of ${shapeText(dataset.image)}, ${classes} classes, ${tests}; ` +
      `${steps} steps of batch ${batch}${o.noise ? `, noise augmentation σ ≤ ${o.noise}` : ''}${o.adversarial ? `, adversarial (L2 radius ${o.adversarial}${(o.adversarialSteps ?? 1) > 1 ? `, PGD ${o.adversarialSteps} steps` : ''}${o.adversarialWarmup ? `, ramped up over ${100 * o.adversarialWarmup}% of the steps` : ''})` : ''} on ${backend}\n`,
  );
  for (const note of dataset.notes) stream.write(`classifier: note: ${note}\n`);
  const rng = new Rng(seed);
  const clf = createClassifier({ image: dataset.image, classes, filters: o.filters, head: o.head }, rng.fork(0), dataset.classNames);
  const phases = createPhaseProgress('classifier', stream);
  try {
    const result = await trainClassifier(clf, dataset, {
      steps,
      batch,
      noise: o.noise,
      adversarial: o.adversarial,
      adversarialSteps: o.adversarialSteps,
      adversarialWarmup: o.adversarialWarmup,
      rng: rng.fork(1),
      progressEvery: 25,
      onProgress: (p) => phases.line(classifierProgressLine('classifier', p).trimEnd()),
      onPhase: phases.onProgress,
    }).finally(() => phases.stop());
    await saveClassifier(clf, dir);
    process.stdout.write(
      classifierAccuracyLine('classifier', result.heldOut, result.testAccuracy, result.testCount, result.seconds) +
        `classifier: saved to ${path.join(dir, 'model.json')}\n`,
    );
    return EXIT.ok;
  } finally {
    clf.dispose();
  }
}
