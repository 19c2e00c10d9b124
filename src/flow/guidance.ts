/**
 * Guidance terms of the flow: potentials of the form −φ·log p(·|x) that are added to the ratio
 * term, so the drift is a sum of (net, f′ or log-probability, weight) terms. The main one is
 * classifier guidance for class-conditional sampling with an external classifier p(y|x).
 *
 * With the ratio term the flow's potential becomes Φ(x) = f′(r_θ(x)) − φ·log p(y|x) and the
 * drift ∇ₓΦ(x):
 *   - LR / KL nets (output log r, KL flow): f′(r) = log r + 1, so ∇Φ = ∇(log r_θ − φ·log p(y|x)),
 *     the gradient flow of KL(q ‖ p(x)·p(y|x)^φ) up to normalisation (the authors' guidance);
 *   - any other net/divergence pair (e.g. LSIF nets with χ², f′(r) = 2(r − 1)): the same
 *     additive composition f′(r_θ) − φ·log p(y|x). It is not a tilt of the χ² flow's target by
 *     p(y|x)^φ, only the sum of the two drifts; φ then trades the two off on different scales.
 * The engine compiles a classifier term from the classifier's layers (ONNX Runtime) or runs
 * its TF.js model (TF.js engine); a `logProbTerm` is a TF.js function and runs on TF.js.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';
import { DataError, type ImageShape } from '../data/types.js';
import type { NormalizerState } from '../data/normalizer.js';
import { ClassifierFileError, pixelsPerImage, shapeText, type ImageClassifier } from '../nets/classifier.js';
import type { ClassifierTerm, PotentialTerm } from './terms.js';

/**
 * −log-probability as a flow term: potential(x) = −logProb(x) per particle, weighted by
 * `weight` (φ). `logProb` maps particles [n, dim] to [n] (or [n, 1]) and must be
 * differentiable in x: the drift takes its gradient by TF.js autodiff (on the TF.js engine).
 */
export function logProbTerm(logProb: (x: Tensor2D) => Tensor, weight: number, label = `−${weight} log p(·|x)`): PotentialTerm {
  if (!Number.isFinite(weight)) throw new RangeError(`logProbTerm: weight is ${weight}, expected a finite number`);
  return { kind: 'potential', potential: (x) => tf.neg(logProb(x)), weight, label };
}

export interface GuidanceOptions {
  /** The image shape of the run (its particles are flattened HWC images of this shape). */
  image?: ImageShape;
  /** Where the classifier came from (its folder or model.json), for error messages. */
  source?: string;
  /**
   * Softmax temperature T of the guide (default 1): the term uses log softmax(logits/T)_y. A
   * confident classifier's log p(y|x) stops changing once p ≈ 1, so its push fades while the
   * image may still be ambiguous to anyone else; T > 1 keeps p below 1 and the push alive.
   */
  temperature?: number;
}

const isIdentity = (nz: NormalizerState): boolean => nz.mean.every((m) => m === 0) && nz.std.every((s) => s === 1);

/**
 * Classifier guidance: potential(x) = −log p(y = classIndex | x) per particle, weight φ, so that
 * the flow is pushed towards images the classifier assigns to the class (see the module
 * comment for how it composes with the ratio term). x lives in the flow's space; with a
 * non-identity `normalizer` it is mapped back to data space (x·std + mean) before the
 * classifier sees it, since classifiers take [−1, 1] images. With `options.temperature` T the
 * potential is −log softmax(logits/T)_y instead.
 *
 * Checks: classIndex in 0..classes−1 (DataError), the classifier's input shape equal to
 * `options.image` (ClassifierFileError) and the normaliser's dimension equal to the
 * classifier's input size; errors name `options.source` and say what was expected and found.
 */
export function classifierGuidanceTerm(
  clf: ImageClassifier,
  classIndex: number,
  weight: number,
  normalizer?: NormalizerState,
  options: GuidanceOptions = {},
): ClassifierTerm {
  const source = options.source ?? 'classifier';
  const per = pixelsPerImage(clf.image);
  const want = options.image;
  if (want && (want.height !== clf.image.height || want.width !== clf.image.width || want.channels !== clf.image.channels)) {
    throw new ClassifierFileError(`${source}: classifier input is ${shapeText(clf.image)} images, expected ${shapeText(want)} (the run's images)`);
  }
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= clf.classes) {
    throw new DataError(`${source}: class ${classIndex} is out of range, the classifier has ${clf.classes} classes (0..${clf.classes - 1})`);
  }
  if (normalizer && (normalizer.mean.length !== per || normalizer.std.length !== per)) {
    throw new DataError(
      `${source}: the flow has ${normalizer.mean.length} dimensions, the classifier takes ${shapeText(clf.image)} = ${per} values`,
    );
  }
  if (!Number.isFinite(weight)) throw new RangeError(`classifierGuidanceTerm: weight is ${weight}, expected a finite number`);
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`classifierGuidanceTerm: temperature is ${temperature}, expected a finite number > 0`);
  }
  const mapping = normalizer && !isIdentity(normalizer) ? { std: normalizer.std, mean: normalizer.mean } : null;
  const name = clf.classNames?.[classIndex];
  const tempered = temperature === 1 ? '' : `, T ${temperature}`;
  return {
    kind: 'classifier',
    model: clf.model,
    image: clf.image,
    classIndex,
    temperature,
    mapping,
    weight,
    label: `−${weight} log p(y=${name ?? classIndex}|x${tempered})`,
  };
}
