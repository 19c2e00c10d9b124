/**
 * The L2 adversarial attacks of a classifier's adversarial training (src/train/classifier.ts):
 * robust classifiers give guidance gradients that follow shapes more than texture.
 */
import { tf, type Tensor } from '../engine/index.js';
import type { ImageClassifier } from '../nets/classifier.js';

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
