/**
 * A small image classifier p(y|x) as a tfjs-layers model, used two ways:
 *   - as the guidance classifier for conditional sampling: `classifierLogProbs` maps flat
 *     particles x [n, H·W·C] (in [−1, 1]) to log-probabilities [n, classes], differentiable
 *     in x;
 *   - as the feature network for FID/KID: `classifierFeatures` gives the 128-d penultimate
 *     activations.
 *
 * Architecture (NHWC): conv3×3-32 → conv3×3-64 stride 2 → conv3×3-128 stride 2 (ReLU, 'same'
 * padding) → flatten (or global average pooling, `head: 'gap'`) → dense 128 ReLU ('features')
 * → dense `classes` logits ('logits'). Weights are initialised from our seeded RNG (He-uniform, zero biases); the
 * engine's RNG is never used. Training: Adam (src/optim/adam.ts) with a cosine learning-rate
 * decay on [−1, 1] images with the dataset's Gaussian dequantisation noise and, when the
 * dataset allows, random horizontal flips; batches drawn from per-epoch permutations.
 *
 * Saved in the TF.js layers format (model.json + weights.bin) through a custom IOHandler on
 * node:fs, each file written atomically (weights first, so a model.json always finds its
 * weights); model.json carries a `dggf` block (image shape, classes, class names).
 */
import fs from 'node:fs';
import path from 'node:path';
import { sequential, layers as tflayers, loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { readAndDispose, tf, type Tensor, type Tensor2D } from '../engine/index.js';
import { DataError, type ImageDataset, type ImageShape, type ImageSplit } from '../data/types.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../util/rng.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { PACKAGE_VERSION } from '../util/version.js';
import { phaseCounter, type OnProgress } from '../util/progress.js';
import type { ParamList } from './params.js';

export interface ClassifierSpec {
  image: ImageShape;
  classes: number;
  /** Conv widths; the first conv has stride 1, the others stride 2 (default [32, 64, 128]). */
  filters?: number[];
  /** Width of the penultimate 'features' layer (default 128). */
  featureDim?: number;
  /**
   * How the last conv map reaches the features layer: 'flatten' (default) or 'gap' (global
   * average pooling). On MNIST the GAP head learns far slower (≈45% vs ≈90% train accuracy
   * after 100 steps), so flatten is the default.
   */
  head?: ClassifierHead;
}

export type ClassifierHead = 'flatten' | 'gap';

export interface ImageClassifier {
  model: LayersModel;
  image: ImageShape;
  classes: number;
  featureDim: number;
  filters: number[];
  head: ClassifierHead;
  classNames?: string[];
  dispose(): void;
}

/**
 * A classifier file does not fit what it is loaded for (wrong image shape, class count) or is
 * unreadable. A DataError, so the CLI prints it as one line and exits 2.
 */
export class ClassifierFileError extends DataError {
  constructor(message: string) {
    super(message);
    this.name = 'ClassifierFileError';
  }
}

export const FEATURES_LAYER = 'features';
export const LOGITS_LAYER = 'logits';
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

export function pixelsPerImage(image: ImageShape): number {
  return image.height * image.width * image.channels;
}

export function shapeText(image: ImageShape): string {
  return `${image.height}×${image.width}×${image.channels}`;
}

function checkSpec(spec: ClassifierSpec): void {
  const { height, width, channels } = spec.image;
  for (const [k, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`classifier: image ${k} is ${v}, expected an integer ≥ 1`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`classifier: image channels is ${channels}, expected 1 or 3`);
  if (!Number.isInteger(spec.classes) || spec.classes < 2) {
    throw new RangeError(`classifier: ${spec.classes} classes, expected an integer ≥ 2`);
  }
}

function buildModel(image: ImageShape, classes: number, filters: number[], featureDim: number, head: ClassifierHead): LayersModel {
  const model = sequential({ name: 'dggf_classifier' });
  filters.forEach((f, i) => {
    model.add(
      tflayers.conv2d({
        name: `conv${i + 1}`,
        filters: f,
        kernelSize: 3,
        strides: i === 0 ? 1 : 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: 'zeros',
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [image.height, image.width, image.channels] } : {}),
      }),
    );
  });
  model.add(head === 'gap' ? tflayers.globalAveragePooling2d({ name: 'pool' }) : tflayers.flatten({ name: 'pool' }));
  model.add(tflayers.dense({ name: FEATURES_LAYER, units: featureDim, activation: 'relu', kernelInitializer: 'zeros' }));
  model.add(tflayers.dense({ name: LOGITS_LAYER, units: classes, kernelInitializer: 'zeros' }));
  return model;
}

/**
 * He-uniform kernels (U(±√(6/fan_in))) before ReLUs, U(±√(1/fan_in)) for the logits (small
 * initial logits), zero biases, all from `rng`.
 */
function initWeights(model: LayersModel, rng: Rng): void {
  const weights = model.getWeights();
  const last = weights.length - 2;
  const values = weights.map((w, i) => {
    if (w.shape.length === 1) return tf.zeros(w.shape);
    const fanIn = w.shape.slice(0, -1).reduce((p, v) => p * v, 1);
    const bound = Math.sqrt((i === last ? 1 : 6) / fanIn);
    return tf.tensor(rng.uniformArray(w.size, -bound, bound), w.shape);
  });
  model.setWeights(values);
  tf.dispose(values);
}

function wrap(model: LayersModel, spec: Required<ClassifierSpec>, classNames?: string[]): ImageClassifier {
  return {
    model,
    image: { ...spec.image },
    classes: spec.classes,
    featureDim: spec.featureDim,
    filters: [...spec.filters],
    head: spec.head,
    classNames: classNames ? [...classNames] : undefined,
    dispose() {
      model.dispose();
    },
  };
}

/** A freshly initialised classifier for `spec.image` and `spec.classes`, weights from `rng`. */
export function createClassifier(spec: ClassifierSpec, rng: Rng, classNames?: string[]): ImageClassifier {
  checkSpec(spec);
  const full: Required<ClassifierSpec> = {
    image: { ...spec.image },
    classes: spec.classes,
    filters: spec.filters ?? [32, 64, 128],
    featureDim: spec.featureDim ?? 128,
    head: spec.head ?? 'flatten',
  };
  if (full.head !== 'flatten' && full.head !== 'gap') throw new RangeError(`classifier: head is '${String(full.head)}', expected flatten or gap`);
  const model = buildModel(full.image, full.classes, full.filters, full.featureDim, full.head);
  initWeights(model, rng);
  return wrap(model, full, classNames);
}

function toImages(clf: ImageClassifier, x: Tensor): Tensor {
  const { height, width, channels } = clf.image;
  if (x.rank === 4) return x;
  const per = height * width * channels;
  if (x.rank !== 2 || x.shape[1] !== per) {
    throw new RangeError(
      `classifier: input of shape [${x.shape}], expected [n, ${per}] (flat ${shapeText(clf.image)} images) or [n, ${height}, ${width}, ${channels}]`,
    );
  }
  return tf.reshape(x, [x.shape[0], height, width, channels]);
}

/** Logits [n, classes] of images x ([n, H·W·C] flat or [n, H, W, C], values in [−1, 1]). */
export function classifierLogits(clf: ImageClassifier, x: Tensor): Tensor2D {
  return clf.model.apply(toImages(clf, x), { training: false }) as Tensor2D;
}

/**
 * log p(y|x) [n, classes] of flat particles x [n, H·W·C]: the guidance classifier. Not wrapped
 * in tidy, so a caller can differentiate it with respect to x (∇ₓ log p(y|x)).
 */
export function classifierLogProbs(clf: ImageClassifier, x: Tensor): Tensor2D {
  return tf.logSoftmax(classifierLogits(clf, x)) as Tensor2D;
}

/** `classifierLogProbs` bound to one classifier: x [n, dim] → log-probs [n, classes]. */
export function guidanceFunction(clf: ImageClassifier): (x: Tensor2D) => Tensor2D {
  return (x) => classifierLogProbs(clf, x);
}

/** The penultimate ('features', after its ReLU) activations [n, featureDim] of images x. */
export function classifierFeatures(clf: ImageClassifier, x: Tensor): Tensor2D {
  let h = toImages(clf, x);
  for (const layer of clf.model.layers) {
    h = layer.apply(h, { training: false }) as Tensor;
    if (layer.name === FEATURES_LAYER) return h as Tensor2D;
  }
  throw new Error(`classifier: no '${FEATURES_LAYER}' layer`);
}

/** Bytes of `split` image i (HWC) → [−1, 1] floats into out at offset, optionally flipped. */
function writeImage(
  split: ImageSplit,
  i: number,
  image: ImageShape,
  out: Float32Array,
  offset: number,
  flip: boolean,
): void {
  const { height, width, channels } = image;
  const per = height * width * channels;
  const src = i * per;
  if (!flip) {
    for (let k = 0; k < per; k++) out[offset + k] = split.pixels[src + k] / 127.5 - 1;
    return;
  }
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    for (let xw = 0; xw < width; xw++) {
      const s = src + y * row + (width - 1 - xw) * channels;
      const d = offset + y * row + xw * channels;
      for (let c = 0; c < channels; c++) out[d + c] = split.pixels[s + c] / 127.5 - 1;
    }
  }
}

export interface ClassifierProgress {
  step: number;
  steps: number;
  /** Mean training loss and accuracy since the previous report. */
  loss: number;
  accuracy: number;
  lr: number;
  seconds: number;
}

export interface TrainClassifierOptions {
  /** Optimiser steps; default: `epochs` passes over the training images. */
  steps?: number;
  /** Passes over the training set when `steps` is not given (default 2). */
  epochs?: number;
  batch?: number;
  /** Peak Adam learning rate, decayed by a cosine to 5% of it (default 2e-3). */
  lr?: number;
  /**
   * Noise augmentation for guidance: each training image also gets Gaussian noise of a std
   * drawn uniformly from [0, noise] (default 0: dequantisation only), so that it also judges
   * the noisy particles of a flow. On MNIST, noise 0.5 alone did not make guided samples
   * more recognisable (bench/RESULTS.md).
   */
  noise?: number;
  /**
   * Adversarial training for guidance (default 0: off): each training batch is replaced by
   * its worst case within an L2 ball of this radius (in [−1, 1] pixel units) by one normalised
   * gradient step on the loss. Robust classifiers have input gradients that follow shapes more
   * than adversarial texture (Santurkar et al. 2019); on MNIST, radius 2 raised an independent
   * judge's agreement with guided samples by 4–5 points (bench/RESULTS.md). Doubles the cost of
   * a step.
   */
  adversarial?: number;
  /**
   * Steps of the adversarial attack (default 1): more than one makes it projected gradient
   * ascent (PGD, Madry et al. 2018), each step 2.5·radius/steps long and projected back into
   * the ball, a stronger worst case for the same radius. Costs one more forward and backward
   * pass per step.
   */
  adversarialSteps?: number;
  /**
   * Fraction of the steps over which the adversarial radius ramps up linearly from 0 (default
   * 0: the full radius from the first step). Large radii (4 on MNIST) can keep a classifier
   * at chance when they apply from the start; a ramp lets it learn the clean task first.
   */
  adversarialWarmup?: number;
  /** Seed for batches, noise and flips (default 0); or pass `rng`. */
  seed?: number;
  rng?: Rng;
  /** Called every `progressEvery` steps (default 50) and at the last step. */
  onProgress?(p: ClassifierProgress): void;
  progressEvery?: number;
  /** Progress after every step ('training', steps) and of the held-out accuracy ('test accuracy', images). */
  onPhase?: OnProgress;
}

export interface TrainClassifierResult {
  steps: number;
  seconds: number;
  /** Mean training loss over the last report interval. */
  trainLoss: number;
  /** Accuracy on the held-out images. */
  testAccuracy: number;
  testCount: number;
  /** 'test': the dataset's test split; 'holdout': every 10th training image (no test split). */
  heldOut: 'test' | 'holdout';
}

interface LabelledSet {
  split: ImageSplit;
  labels: Int32Array;
  indices: Uint32Array;
}

/** Training and held-out index sets; every 10th training image is held out when there is no labelled test split. */
export function classifierSplits(dataset: ImageDataset): { train: LabelledSet; test: LabelledSet; heldOut: 'test' | 'holdout' } {
  const trainLabels = dataset.train.labels;
  if (!trainLabels) {
    throw new DataError(`dataset '${dataset.name}' has no class labels; a classifier needs labelled images`);
  }
  if (trainLabels.length !== dataset.train.count) {
    throw new DataError(`dataset '${dataset.name}': ${trainLabels.length} labels for ${dataset.train.count} training images`);
  }
  const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);
  const test = dataset.test;
  if (test && test.labels && test.count > 0) {
    return {
      train: { split: dataset.train, labels: trainLabels, indices: all(dataset.train.count) },
      test: { split: test, labels: test.labels, indices: all(test.count) },
      heldOut: 'test',
    };
  }
  const tr: number[] = [];
  const te: number[] = [];
  for (let i = 0; i < dataset.train.count; i++) (i % 10 === 9 ? te : tr).push(i);
  if (te.length === 0) throw new DataError(`dataset '${dataset.name}': too few images (${dataset.train.count}) to hold any out for testing`);
  return {
    train: { split: dataset.train, labels: trainLabels, indices: Uint32Array.from(tr) },
    test: { split: dataset.train, labels: trainLabels, indices: Uint32Array.from(te) },
    heldOut: 'holdout',
  };
}

/** Number of classes: classNames' length, else 1 + the largest label. */
export function datasetClassCount(dataset: ImageDataset): number {
  if (dataset.classNames && dataset.classNames.length > 0) return dataset.classNames.length;
  let max = -1;
  for (const l of dataset.train.labels ?? []) max = Math.max(max, l);
  return max + 1;
}

/** Fraction of `indices` of a labelled split that the classifier gets right (clean images). */
export async function classifierAccuracy(
  clf: ImageClassifier,
  split: ImageSplit,
  labels: Int32Array,
  indices?: ArrayLike<number>,
  batch = 500,
  /** Progress: the images classified ('test accuracy'). */
  onProgress?: OnProgress,
): Promise<number> {
  const idx = indices ?? Uint32Array.from({ length: split.count }, (_, i) => i);
  const per = pixelsPerImage(clf.image);
  let correct = 0;
  const progress = phaseCounter(onProgress, 'test accuracy', idx.length, 'images');
  for (let start = 0; start < idx.length; start += batch) {
    const b = Math.min(batch, idx.length - start);
    const buf = new Float32Array(b * per);
    for (let k = 0; k < b; k++) writeImage(split, idx[start + k], clf.image, buf, k * per, false);
    const pred = tf.tidy(() => tf.argMax(classifierLogits(clf, tf.tensor2d(buf, [b, per])), 1));
    const [p] = await readAndDispose(pred);
    for (let k = 0; k < b; k++) if (p[k] === labels[idx[start + k]]) correct++;
    progress.tick(b);
  }
  return idx.length > 0 ? correct / idx.length : NaN;
}

/**
 * Train `clf` on the labelled images of `dataset` (its shape and class count must match) and
 * report the accuracy on the held-out images.
 */
export async function trainClassifier(clf: ImageClassifier, dataset: ImageDataset, opts: TrainClassifierOptions = {}): Promise<TrainClassifierResult> {
  const { image } = dataset;
  if (image.height !== clf.image.height || image.width !== clf.image.width || image.channels !== clf.image.channels) {
    throw new DataError(`dataset '${dataset.name}' has ${shapeText(image)} images, the classifier expects ${shapeText(clf.image)}`);
  }
  const { train, test, heldOut } = classifierSplits(dataset);
  for (const l of train.labels) {
    if (!(l >= 0 && l < clf.classes)) {
      throw new DataError(`dataset '${dataset.name}' has label ${l}, expected 0..${clf.classes - 1} for a ${clf.classes}-class classifier`);
    }
  }
  const batch = opts.batch ?? 128;
  const nTrain = train.indices.length;
  const steps = opts.steps ?? Math.max(1, Math.ceil(((opts.epochs ?? 2) * nTrain) / batch));
  const lr0 = opts.lr ?? 2e-3;
  const every = opts.progressEvery ?? 50;
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const per = pixelsPerImage(image);
  const sigma = dataset.dequantize;
  const augment = nonNegativeOption('noise', opts.noise);
  const radius = nonNegativeOption('adversarial', opts.adversarial);
  const attackSteps = opts.adversarialSteps ?? 1;
  if (!(Number.isInteger(attackSteps) && attackSteps >= 1)) {
    throw new RangeError(`trainClassifier: adversarialSteps is ${attackSteps}, expected an integer ≥ 1`);
  }
  const warmup = opts.adversarialWarmup ?? 0;
  if (!(warmup >= 0 && warmup <= 1)) throw new RangeError(`trainClassifier: adversarialWarmup is ${warmup}, expected a fraction in [0, 1]`);
  const warmupSteps = warmup * steps;
  const canFlip = dataset.flip;

  const params: ParamList = clf.model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
  const vars = params.map((p) => p.variable);
  const adam = new Adam(params);
  const t0 = Date.now();
  let perm = rng.permutation(nTrain);
  let cursor = 0;
  let lossSum = 0;
  let accSum = 0;
  let since = 0;
  let lastLoss = NaN;
  const x = new Float32Array(batch * per);
  const y = new Int32Array(batch);
  const stepProgress = phaseCounter(opts.onPhase, 'training', steps, 'steps');
  try {
    for (let step = 1; step <= steps; step++) {
      for (let k = 0; k < batch; k++) {
        if (cursor >= nTrain) {
          perm = rng.permutation(nTrain);
          cursor = 0;
        }
        const i = train.indices[perm[cursor++]];
        const flip = canFlip && rng.uniform() < 0.5;
        writeImage(train.split, i, image, x, k * per, flip);
        y[k] = train.labels[i];
      }
      if (sigma > 0) {
        const noise = rng.normalArray(batch * per);
        for (let k = 0; k < x.length; k++) x[k] += sigma * noise[k];
      }
      if (augment > 0) {
        const noise = rng.normalArray(batch * per);
        for (let k = 0; k < batch; k++) {
          const s = augment * rng.uniform();
          for (let j = k * per; j < (k + 1) * per; j++) x[j] += s * noise[j];
        }
      }
      const progress = (step - 1) / Math.max(1, steps - 1);
      const lr = lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * progress)));
      let accT: Tensor | null = null;
      const lossT = tf.tidy(() => {
        const clean = tf.tensor4d(x, [batch, image.height, image.width, image.channels]);
        const labels = tf.tensor1d(y, 'int32');
        const onehot = tf.oneHot(labels, clf.classes);
        const r = warmupSteps > 0 ? radius * Math.min(1, step / warmupSteps) : radius;
        const xt = r > 0 ? l2Attack(clf, clean, onehot, r, attackSteps) : clean;
        const { value, grads } = tf.variableGrads(() => {
          const logits = clf.model.apply(xt, { training: true }) as Tensor;
          accT = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')));
          return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
        }, vars);
        adam.apply(
          params.map((p) => grads[p.variable.name]),
          lr,
        );
        return value;
      });
      const [lossV, accV] = await readAndDispose(lossT, ...(accT ? [accT as Tensor] : []));
      const lv = lossV[0];
      const av = accV ? accV[0] : NaN;
      lossSum += lv;
      accSum += av;
      since++;
      if (!Number.isFinite(lv)) throw new Error(`classifier training diverged at step ${step} (loss ${lv}); try a smaller learning rate`);
      if (step % every === 0 || step === steps) {
        lastLoss = lossSum / since;
        opts.onProgress?.({ step, steps, loss: lastLoss, accuracy: accSum / since, lr, seconds: (Date.now() - t0) / 1000 });
        lossSum = 0;
        accSum = 0;
        since = 0;
      }
      stepProgress.set(step);
    }
  } finally {
    adam.dispose();
  }
  const testAccuracy = await classifierAccuracy(clf, test.split, test.labels, test.indices, 500, opts.onPhase);
  return { steps, seconds: (Date.now() - t0) / 1000, trainLoss: lastLoss, testAccuracy, testCount: test.indices.length, heldOut };
}

/** A trainClassifier option that must be a finite number ≥ 0 (absent: 0). */
function nonNegativeOption(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`trainClassifier: ${name} is ${v}, expected a finite number ≥ 0`);
  return v;
}

/**
 * Images x [n, H, W, C] moved by `radius` (L2, per image) along the normalised gradient of the
 * cross-entropy with `onehot` labels: the first-order worst case in that ball (one step of an L2
 * attack). No gradient flows to the weights through it.
 */
export function l2AttackStep(clf: ImageClassifier, x: Tensor, onehot: Tensor, radius: number): Tensor {
  const g = tf.grad((z: Tensor) => tf.losses.softmaxCrossEntropy(onehot, clf.model.apply(z, { training: false }) as Tensor) as tf.Scalar)(x);
  return tf.add(x, tf.mul(tf.div(g, perImageNorm(g)), radius));
}

/**
 * The L2 attack of adversarial training: one `l2AttackStep` of the full radius, or with
 * `steps` > 1 projected gradient ascent from x: each step 2.5·radius/steps long along the
 * normalised gradient, then the total move is scaled back into the ball of `radius`.
 */
export function l2Attack(clf: ImageClassifier, x: Tensor, onehot: Tensor, radius: number, steps = 1): Tensor {
  if (steps === 1) return l2AttackStep(clf, x, onehot, radius);
  const step = (2.5 * radius) / steps;
  let z = x;
  for (let k = 0; k < steps; k++) {
    const moved = l2AttackStep(clf, z, onehot, step);
    const delta = tf.sub(moved, x);
    z = tf.add(x, tf.mul(delta, tf.minimum(1, tf.div(radius, perImageNorm(delta)))));
  }
  return z;
}

/** The L2 norm of each image of t [n, H, W, C], as [n, 1, 1, 1] (never 0). */
const perImageNorm = (t: Tensor): Tensor => tf.add(tf.sqrt(tf.sum(tf.square(t), [1, 2, 3], true)), 1e-12);

/** The `dggf` block of model.json. */
interface DggfModelInfo {
  kind: 'image-classifier';
  image: ImageShape;
  classes: number;
  filters: number[];
  featureDim: number;
  head: ClassifierHead;
  classNames?: string[];
  version: string;
}

/** Save as dir/model.json + dir/weights.bin (TF.js layers format), each written atomically. */
export async function saveClassifier(clf: ImageClassifier, dir: string): Promise<void> {
  ensureDir(dir);
  let artifacts: tf.io.ModelArtifacts | null = null;
  await clf.model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a || !a.weightSpecs || a.weightData === undefined) throw new Error('classifier: TF.js returned no weights to save');
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
  const info: DggfModelInfo = {
    kind: 'image-classifier',
    image: { ...clf.image },
    classes: clf.classes,
    filters: [...clf.filters],
    featureDim: clf.featureDim,
    head: clf.head,
    ...(clf.classNames ? { classNames: [...clf.classNames] } : {}),
    version: PACKAGE_VERSION,
  };
  const json = {
    format: 'layers-model',
    generatedBy: a.generatedBy ?? 'TensorFlow.js',
    convertedBy: `dggf ${PACKAGE_VERSION}`,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs }],
    weightsBytes: weights.byteLength,
    dggf: info,
  };
  writeFileAtomic(path.join(dir, WEIGHTS_FILE), weights);
  writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(json) + '\n');
}

export interface ClassifierExpectation {
  image?: ImageShape;
  classes?: number;
}

function isShape(v: unknown): v is ImageShape {
  const s = v as ImageShape;
  return (
    typeof s === 'object' && s !== null && Number.isInteger(s.height) && Number.isInteger(s.width) && (s.channels === 1 || s.channels === 3)
  );
}

/**
 * Load a classifier saved by `saveClassifier`, checking its input image shape and class count
 * (against the file's own topology and, when given, against `expect`). Errors name the file
 * and say what was expected and what was found.
 */
export async function loadClassifier(dir: string, expect: ClassifierExpectation = {}): Promise<ImageClassifier> {
  const modelFile = path.join(dir, MODEL_FILE);
  const weightsFile = path.join(dir, WEIGHTS_FILE);
  if (!fs.existsSync(modelFile)) throw new ClassifierFileError(`${modelFile}: no such file (no classifier saved in ${dir})`);
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    weightsBytes?: number;
    dggf?: DggfModelInfo;
  };
  try {
    json = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
  } catch (e) {
    throw new ClassifierFileError(`${modelFile}: not readable JSON (${(e as Error).message})`);
  }
  const info = json.dggf;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest) || !info || info.kind !== 'image-classifier' || !isShape(info.image)) {
    throw new ClassifierFileError(`${modelFile}: not a dggf image classifier (missing modelTopology, weightsManifest or the dggf block)`);
  }
  if (expect.image) {
    const e = expect.image;
    if (e.height !== info.image.height || e.width !== info.image.width || e.channels !== info.image.channels) {
      throw new ClassifierFileError(
        `${modelFile}: classifier input is ${shapeText(info.image)} images, expected ${shapeText(e)}`,
      );
    }
  }
  if (expect.classes !== undefined && expect.classes !== info.classes) {
    throw new ClassifierFileError(`${modelFile}: classifier has ${info.classes} classes, expected ${expect.classes}`);
  }
  if (!fs.existsSync(weightsFile)) throw new ClassifierFileError(`${weightsFile}: no such file (model.json is there, its weights are not)`);
  const buf = fs.readFileSync(weightsFile);
  if (json.weightsBytes !== undefined && buf.byteLength !== json.weightsBytes) {
    throw new ClassifierFileError(`${weightsFile}: ${buf.byteLength} bytes, expected ${json.weightsBytes} (file truncated or from another save)`);
  }
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  let model: LayersModel;
  try {
    model = await loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (e) {
    throw new ClassifierFileError(`${modelFile}: TF.js could not load it (${(e as Error).message})`);
  }
  // the topology itself must agree with the dggf block
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  const got: ImageShape = { height: inShape[1] ?? -1, width: inShape[2] ?? -1, channels: (inShape[3] ?? -1) as 1 | 3 };
  const problem =
    got.height !== info.image.height || got.width !== info.image.width || got.channels !== info.image.channels
      ? `its layers take ${shapeText(got)} images, its dggf block says ${shapeText(info.image)}`
      : outShape[1] !== info.classes
        ? `its layers output ${outShape[1]} classes, its dggf block says ${info.classes}`
        : null;
  if (problem) {
    model.dispose();
    throw new ClassifierFileError(`${modelFile}: inconsistent file: ${problem}`);
  }
  try {
    model.getLayer(FEATURES_LAYER);
  } catch {
    model.dispose();
    throw new ClassifierFileError(`${modelFile}: no '${FEATURES_LAYER}' layer`);
  }
  return wrap(
    model,
    { image: info.image, classes: info.classes, filters: info.filters ?? [], featureDim: info.featureDim ?? 128, head: info.head ?? 'flatten' },
    info.classNames,
  );
}
