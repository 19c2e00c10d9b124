/**
 * A two-sample probe: train a fresh ratio net with a given Bregman loss to tell particles from
 * data, then evaluate the loss on held-out points. Its gap below the q = p value of the loss
 * is a lower bound on a divergence between the two sets (2·JS for LR, χ² for LSIF, KL for
 * the KLIEP form), so it falls as the particles approach the data.
 */
import { tf } from '../../src/engine/index.js';
import { createMlp } from '../../src/nets/mlp.js';
import { getLoss, type LossName } from '../../src/losses/index.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/util/rng.js';

export const LOSS_AT_EQUILIBRIUM: Record<LossName, number> = { lsif: -0.5, lr: 2 * Math.log(2), kl: 1 };

export function probeGap(lossName: LossName, particles: Float32Array, data: Float32Array, dim: number, seed = 0): number {
  const loss = getLoss(lossName);
  const rng = new Rng(seed);
  const n = Math.min(particles.length, data.length) / dim;
  const half = Math.floor(n / 2);
  const split = (a: Float32Array) => [
    tf.tensor2d(a.subarray(0, half * dim), [half, dim]),
    tf.tensor2d(a.subarray(half * dim, 2 * half * dim), [half, dim]),
  ];
  const [pTrain, pTest] = split(particles);
  const [dTrain, dTest] = split(data);
  const net = createMlp({ inputDim: dim, hidden: 32, depth: 2, activation: 'leaky_relu' }, rng);
  const vars = net.params.map((p) => p.variable);
  const adam = new Adam(net.params);
  for (let i = 0; i < 300; i++) {
    const { value, grads } = tf.variableGrads(() => loss.compute(net.apply(pTrain), net.apply(dTrain)) as tf.Scalar, vars);
    adam.apply(vars.map((v) => grads[v.name]), 3e-3);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const held = tf.tidy(() => loss.compute(net.apply(pTest), net.apply(dTest)).dataSync()[0]);
  tf.dispose([pTrain, pTest, dTrain, dTest]);
  adam.dispose();
  net.dispose();
  return LOSS_AT_EQUILIBRIUM[lossName] - held;
}
