/**
 * `dggf features train`: train the feature network of an image dataset (the classifier whose
 * penultimate features FID/KID use, and the guidance classifier p(y|x); for a folder without
 * labels a net that tells which of 4 rotations was applied) and store it in the cache.
 * Progress lines go to stderr; the held-out accuracy and the folder to stdout.
 */
import { initEngine } from '../../engine/index.js';
import { resolveImageDataset } from '../../data/images/index.js';
import { defaultFeatureTask, plannedFeatureSteps, trainFeatureNet } from '../../eval/features.js';
import { featureTaskText } from '../../eval/dataset-features.js';
import { classifierAccuracyLine, classifierProgressLine } from '../progress.js';
import { createPhaseProgress } from '../phase-progress.js';
import { EXIT, UsageError } from '../errors.js';

export interface FeaturesTrainOptions {
  data: string;
  steps?: number;
  seed?: number;
  size?: number;
  backend?: string;
  engine?: string;
}

export async function featuresTrainCommand(o: FeaturesTrainOptions, stream: NodeJS.WritableStream = process.stderr): Promise<number> {
  const backend = await initEngine(o.backend, { engine: o.engine });
  const loading = createPhaseProgress('data', stream);
  const dataset = resolveImageDataset(o.data, { ...(o.size !== undefined ? { size: o.size } : {}), onProgress: loading.onProgress });
  loading.stop();
  if (!dataset) {
    throw new UsageError(`--data '${o.data}' is not an image dataset, expected mnist, fashion-mnist, emoji or a folder of images`);
  }
  const task = defaultFeatureTask(dataset);
  const steps = o.steps ?? plannedFeatureSteps(dataset, task);
  const { height, width, channels } = dataset.image;
  const tests = dataset.test ? `${dataset.test.count} test` : 'no test split (every 10th training image held out)';
  stream.write(
    `features: ${dataset.name}: ${dataset.train.count} training images of ${height}×${width}×${channels}, ${tests}; ` +
      `${featureTaskText(dataset)}; ${steps} steps of batch 128 on ${backend}\n`,
  );
  for (const note of dataset.notes) stream.write(`features: note: ${note}\n`);
  const phases = createPhaseProgress('features', stream);
  const net = await trainFeatureNet(dataset, {
    steps,
    seed: o.seed ?? 0,
    size: o.size,
    progressEvery: 25,
    onProgress: (p) => phases.line(classifierProgressLine('features', p).trimEnd()),
    onPhase: phases.onProgress,
  }).finally(() => phases.stop());
  try {
    const m = net.meta;
    process.stdout.write(classifierAccuracyLine('features', m.heldOut, m.testAccuracy, m.testCount, m.seconds) + `features: saved to ${net.dir}\n`);
    return EXIT.ok;
  } finally {
    net.dispose();
  }
}
