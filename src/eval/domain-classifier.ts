/**
 * A domain classifier for translation evals: a two-class image classifier (0 = source style,
 * 1 = target style) trained on the training splits of both domains only, so that it can
 * judge held-out inputs and their translations that neither it nor the flow has seen.
 *
 * It is trained with Gaussian noise augmentation (a std drawn from [0, 0.3] per image), so that
 * speckle alone does not move its verdict; adversarial training (an L2 ball around each image)
 * is an option but doubles the cost, too much on 2 shared cores. A flow whose own ratio net is
 * a domain discriminator could still fool it with changes nobody sees: read its figure with
 * the pixel change and the grid.
 */
import { DataError, type ImageDataset, type ImageSplit } from '../data/types.js';
import { makeImageDataset } from '../data/images/dataset.js';
import { classifierAccuracy, trainClassifier, type TrainClassifierOptions } from '../train/classifier.js';
import { createClassifier, shapeText, type ImageClassifier } from '../nets/classifier.js';
import { classifySamples } from './features.js';
import { Rng } from '../util/rng.js';

export const SOURCE_CLASS = 0;
export const TARGET_CLASS = 1;

/** Two splits as one, labelled 0 (the first) and 1 (the second). */
export function domainSplit(source: ImageSplit, target: ImageSplit): ImageSplit {
  const pixels = new Uint8Array(source.pixels.length + target.pixels.length);
  pixels.set(source.pixels, 0);
  pixels.set(target.pixels, source.pixels.length);
  const labels = new Int32Array(source.count + target.count);
  labels.fill(TARGET_CLASS, source.count);
  return { count: source.count + target.count, pixels, labels };
}

/** The two-class dataset: train = both train splits, test = both test splits (when both have one). */
export function domainDataset(source: ImageDataset, target: ImageDataset): ImageDataset {
  const a = source.image;
  const b = target.image;
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new DataError(`domains of different shapes: ${source.name} has ${shapeText(a)} images, ${target.name} has ${shapeText(b)}; expected the same`);
  }
  return makeImageDataset({
    name: `${source.name}|${target.name}`,
    image: { ...a },
    train: domainSplit(source.train, target.train),
    ...(source.test && target.test ? { test: domainSplit(source.test, target.test) } : {}),
    classNames: [source.name, target.name],
    flip: source.flip && target.flip,
    dequantize: Math.max(source.dequantize, target.dequantize),
  });
}

export interface DomainClassifierOptions {
  seed?: number;
  /** Optimiser steps (default 200) of `batch` images (default 64). */
  steps?: number;
  batch?: number;
  onProgress?: TrainClassifierOptions['onProgress'];
  /** Adversarial training radius (default 0: off). */
  adversarial?: number;
  /** Noise augmentation (default 0.3). */
  noise?: number;
}

export interface DomainClassifier {
  classifier: ImageClassifier;
  /** Accuracy on both domains' test splits (each image once). */
  testAccuracy: number;
  testCount: number;
  steps: number;
  seconds: number;
}

export async function trainDomainClassifier(source: ImageDataset, target: ImageDataset, opts: DomainClassifierOptions = {}): Promise<DomainClassifier> {
  const ds = domainDataset(source, target);
  const rng = new Rng(opts.seed ?? 0);
  const clf = createClassifier({ image: ds.image, classes: 2 }, rng.fork(0), ds.classNames);
  try {
    const r = await trainClassifier(clf, ds, {
      steps: opts.steps ?? 200,
      batch: opts.batch ?? 64,
      ...(opts.onProgress ? { onProgress: opts.onProgress, progressEvery: 25 } : {}),
      rng: rng.fork(1),
      noise: opts.noise ?? 0.3,
      adversarial: opts.adversarial ?? 0,
      adversarialWarmup: 0.3,
    });
    return { classifier: clf, testAccuracy: r.testAccuracy, testCount: r.testCount, steps: r.steps, seconds: r.seconds };
  } catch (e) {
    clf.dispose();
    throw e;
  }
}

/** Share of n flat images ([−1, 1]) the classifier assigns to the target domain. */
export async function targetShare(clf: ImageClassifier, images: Float32Array, n: number): Promise<number> {
  const h = await classifySamples(clf, images, n);
  return h.fractions[TARGET_CLASS];
}

export { classifierAccuracy };
