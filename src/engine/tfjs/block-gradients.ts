/**
 * The ratio loss and its parameter gradients on one row block of a training batch (TF.js
 * engine). The main thread and the workers (./parallel/) both run exactly this code, so a block's result
 * does not depend on where it ran, and a batch's sum over blocks does not depend on the thread
 * count.
 */
import { tf, type Tensor, type Tensor2D } from '../tf.js';
import { isMlpSpec, type RatioNet } from '../../nets/ratio-net.js';
import type { RatioLoss } from '../../losses/index.js';

export interface BlockGradients {
  /** The block's loss × its weight (scalar). */
  value: Tensor;
  /** Mean net output over the block's particles × its weight (scalar). */
  meanOut: Tensor;
  /** ∂(value)/∂(weights), in weight order. */
  grads: Tensor[];
}

/**
 * Rows [start, end) of each block of a batch of n. The Bregman losses are means of per-sample
 * terms, so the batch's loss and gradient are the sum of the blocks' with weights size/n.
 * Blocks hold at most `maxRows` rows (memory); a conv net's batch is cut in at least
 * `CONV_BLOCKS` blocks so that threads can share the step, whatever the thread count.
 */
export const CONV_BLOCKS = 2;

export function gradientBlocks(n: number, net: Pick<RatioNet, 'spec' | 'maxRows'>): [number, number][] {
  const byMemory = Math.ceil(n / Math.min(n, net.maxRows ?? n));
  const count = Math.min(n, Math.max(byMemory, isMlpSpec(net.spec) ? 1 : CONV_BLOCKS));
  const rows = Math.ceil(n / count);
  const blocks: [number, number][] = [];
  for (let start = 0; start < n; start += rows) blocks.push([start, Math.min(n, start + rows)]);
  return blocks;
}

/** Loss, mean particle output and gradients w.r.t. `weights` of one block, each scaled by w. */
export function blockGradients(
  net: RatioNet,
  loss: RatioLoss,
  particles: Tensor2D,
  data: Tensor2D,
  weights: Tensor[],
  w: number,
): BlockGradients {
  const scaled = (t: Tensor): Tensor => (w === 1 ? t : tf.mul(t, w));
  let meanOut: Tensor | undefined;
  const rows = particles.shape[0];
  const fused = net.fusedTraining?.(weights);
  if (fused) {
    // on our fused CPU kernels: forward and parameter gradients there, the loss (a function of
    // the outputs alone) and its gradient w.r.t. the outputs on the engine
    const x = new Float32Array((rows + data.shape[0]) * particles.shape[1]);
    x.set(particles.dataSync() as Float32Array);
    x.set(data.dataSync() as Float32Array, particles.size);
    const outputs = tf.tensor2d(fused.forward(x, rows + data.shape[0]), [rows + data.shape[0], 1]);
    try {
      const { value, grad } = tf.valueAndGrad((out: Tensor) => {
        const outNu = tf.slice(out, [0, 0], [rows, -1]);
        const outDe = tf.slice(out, [rows, 0], [data.shape[0], -1]);
        meanOut = tf.keep(scaled(tf.mean(outNu)));
        return scaled(loss.compute(outNu, outDe)) as tf.Scalar;
      })(outputs);
      const dOut = grad.dataSync() as Float32Array;
      grad.dispose();
      try {
        return { value, meanOut: meanOut!, grads: fused.gradients(dOut) };
      } catch (e) {
        value.dispose();
        throw e;
      }
    } catch (e) {
      meanOut?.dispose(); // (kept by the loss closure)
      throw e;
    } finally {
      outputs.dispose();
    }
  }
  const { value, grads } = tf.valueAndGrads((...ws: Tensor[]) => {
    // one forward pass over both halves: fewer, larger kernels, and the work that depends on
    // the weights alone (spectral normalisation) done once
    const out = net.apply(tf.concat([particles, data]) as Tensor2D, ws);
    const outNu = tf.slice(out, [0, 0], [rows, -1]);
    const outDe = tf.slice(out, [rows, 0], [data.shape[0], -1]);
    meanOut = tf.keep(scaled(tf.mean(outNu)));
    return scaled(loss.compute(outNu, outDe)) as tf.Scalar;
  })(weights);
  return { value, meanOut: meanOut!, grads };
}

/** Frees every tensor of the given block results. */
export function disposeBlocks(results: BlockGradients[]): void {
  tf.dispose(results.flatMap((r) => [r.value, r.meanOut, ...r.grads]));
}

/** `here(0) … here(count − 1)` in order; on an error, frees the blocks already computed. */
export function blocksInOrder(count: number, here: (block: number) => BlockGradients): BlockGradients[] {
  const results: BlockGradients[] = [];
  try {
    for (let b = 0; b < count; b++) results.push(here(b));
  } catch (e) {
    disposeBlocks(results);
    throw e;
  }
  return results;
}
