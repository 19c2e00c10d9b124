/**
 * The TF.js engine: flows on the active TF.js backend (split across worker threads by
 * particle where that pays, ./parallel/), net outputs, and training gradients as sums over row
 * blocks (./block-gradients.ts), shared between threads for conv nets.
 */
import { tf, type Tensor, type Tensor2D } from '../tf.js';
import { readAndDispose } from '../read.js';
import type { Engine, FlowRecording, FlowResult, TrainingGradients } from '../engine.js';
import { isSnapshotStep, type FlowSettings, type FlowTerm } from '../../flow/terms.js';
import { noisySteps, type FlowNoise } from '../../flow/noise.js';
import type { RatioNet } from '../../nets/ratio-net.js';
import type { RatioLoss } from '../../losses/index.js';
import { compiledDrift, compileTerm, driftGradient, eulerMaruyama, inRowChunks } from './drift.js';
import { PARALLEL_MIN_ROWS, parallelFlow, parallelGradients, startFlowWorkers } from './parallel/pool.js';
import { blockGradients, blocksInOrder, gradientBlocks, type BlockGradients } from './block-gradients.js';

/** Net outputs [n, 1], in row blocks when the net limits its batch (memory). */
export function netOutputs(net: RatioNet, x: Tensor2D, weights?: Tensor[]): Tensor2D {
  const rows = net.maxRows;
  // a forward pass alone keeps about a third of what forward + backward does
  return rows && x.shape[0] > 3 * rows ? inRowChunks(x, 3 * rows, (b) => net.apply(b, weights)) : net.apply(x, weights);
}

async function flow(x0: Tensor2D, terms: FlowTerm[], settings: FlowSettings, noise: FlowNoise, record: FlowRecording): Promise<FlowResult> {
  const compiled = terms.map(compileTerm);
  const first = terms[0];
  if (record.meanOutput && first?.kind !== 'ratio') throw new Error('runFlow: meanOutput needs a ratio term first');
  // The mean output needs every particle's net output at every step: main thread only.
  if (!record.meanOutput) {
    const parallel = parallelFlow(x0, compiled, settings, noise, record.trajectoryEvery);
    if (parallel) return parallel;
  }
  const grad = compiledDrift(compiled);
  const [n, dim] = x0.shape;
  const snapshots: { step: number; points: Tensor }[] = [];
  const means: Tensor[] = [];
  const every = record.trajectoryEvery ?? 0;
  const observe = (x: Tensor2D, k: number): void => {
    if (every && isSnapshotStep(k, every, settings.steps)) snapshots.push({ step: k, points: tf.keep(tf.clone(x)) });
    if (record.meanOutput && first.kind === 'ratio') means.push(tf.keep(tf.tidy(() => tf.mean(netOutputs(first.net, x, first.weights)))));
  };
  let x: Tensor2D;
  try {
    x = eulerMaruyama(x0, grad, settings, noise.stepper(0, n, dim, noisySteps(settings)), observe);
  } catch (e) {
    tf.dispose([...snapshots.map((s) => s.points), ...means]);
    throw e;
  }
  // snapshots and means are read back once the flow has run: a GPU backend in Node has no
  // synchronous read-back, and one read at the end avoids a GPU sync per step
  try {
    const trajectory = every
      ? await Promise.all(snapshots.map(async (s) => ({ step: s.step, points: ((await s.points.data()) as Float32Array).slice() })))
      : undefined;
    let meanOutputs: number[] | undefined;
    if (record.meanOutput) {
      const stacked = means.length ? tf.stack(means) : null;
      try {
        meanOutputs = stacked ? Array.from(await stacked.data()) : [];
      } finally {
        stacked?.dispose();
      }
    }
    return { x, trajectory, meanOutputs };
  } catch (e) {
    x.dispose();
    throw e;
  } finally {
    tf.dispose([...snapshots.map((s) => s.points), ...means]);
  }
}

async function trainingGradients(net: RatioNet, loss: RatioLoss, particles: Tensor2D, data: Tensor2D): Promise<TrainingGradients> {
  // The loss and gradient are sums over row blocks (memory; conv nets: threads share them),
  // added up in block order whatever ran each block.
  const n = particles.shape[0];
  const vars = net.params.map((p) => p.variable);
  const blocks = gradientBlocks(n, net);
  const here = (b: number): BlockGradients => {
    const [start, end] = blocks[b];
    const whole = end - start === n;
    const nu = whole ? particles : tf.slice(particles, [start, 0], [end - start, -1]);
    const de = whole ? data : tf.slice(data, [start, 0], [end - start, -1]);
    try {
      return blockGradients(net, loss, nu as Tensor2D, de as Tensor2D, vars, (end - start) / n);
    } finally {
      if (!whole) tf.dispose([nu, de]);
    }
  };
  const results = parallelGradients(net, loss, particles, data, vars, blocks, here) ?? blocksInOrder(blocks.length, here);
  let value: Tensor = results[0].value;
  let meanOut: Tensor = results[0].meanOut;
  let grads: Tensor[] = results[0].grads;
  for (const r of results.slice(1)) {
    const prev = [value, meanOut, ...grads];
    value = tf.add(value, r.value);
    meanOut = tf.add(meanOut, r.meanOut);
    grads = grads.map((g, i) => tf.add(g, r.grads[i]));
    tf.dispose([...prev, r.value, r.meanOut, ...r.grads]);
  }
  // loss, mean net output and gradient norm in one read-back
  const packed = tf.tidy(() => tf.stack([value, meanOut, tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))))]));
  tf.dispose([value, meanOut]);
  try {
    const [read] = await readAndDispose(packed);
    return { loss: read[0], meanOut: read[1], gradNorm: read[2], grads };
  } catch (e) {
    tf.dispose(grads);
    throw e;
  }
}

export const tfjsEngine: Engine = {
  name: 'tfjs',
  flow,
  drift: async (x, terms) => tf.tidy(() => driftGradient(terms)(x)),
  outputs: async (net, weights, x) => {
    const [values] = await readAndDispose(tf.tidy(() => tf.reshape(netOutputs(net, x, weights), [-1])));
    return values as Float32Array;
  },
  trainingGradients,
  // workers load TF.js in the background while the caller sets up
  prepare: ({ rows, heavy }) => {
    if (rows >= PARALLEL_MIN_ROWS || heavy) startFlowWorkers();
  },
};
