/**
 * A small image classifier p(y|x) as a tfjs-layers model (the net alone), used two ways:
 *   - as the guidance classifier for conditional sampling: `classifierLogProbs` maps flat
 *     particles x [n, H·W·C] (in [−1, 1]) to log-probabilities [n, classes], differentiable
 *     in x;
 *   - as the feature network for FID/KID: `classifierFeatures` gives the 128-d penultimate
 *     activations.
 *
 * Architecture (NHWC): conv3×3-32 → conv3×3-64 stride 2 → conv3×3-128 stride 2 (ReLU, 'same'
 * padding) → flatten (or global average pooling, `head: 'gap'`) → dense 128 ReLU ('features')
 * → dense `classes` logits ('logits'). Weights are initialised from our seeded RNG (He-uniform, zero biases); the
 * engine's RNG is never used. Its training is src/train/classifier.ts, its file
 * src/train/classifier-file.ts, the adversarial attacks of that training src/guidance/attacks.ts.
 */
import { sequential, layers as tflayers, type LayersModel } from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';
import { DataError, type ImageShape } from '../data/types.js';
import type { Rng } from '../util/rng.js';

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

/** A classifier around a built (or loaded) model with `spec`. */
export function classifierFromModel(model: LayersModel, spec: Required<ClassifierSpec>, classNames?: string[]): ImageClassifier {
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
  return classifierFromModel(model, full, classNames);
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
