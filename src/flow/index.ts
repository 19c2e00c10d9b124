/**
 * The Euler–Maruyama particle flow x ← x − η ∇ₓ Φ(x) + ν ξ, where the potential Φ is a weighted
 * sum of terms (the ratio net's f′(r_θ(x)) and guidance terms such as −φ log p(y|x), ./guidance.ts, not re-exported
 * here: it reaches the classifier's file I/O, and this module is also bundled for the browser).
 * Gradients are taken w.r.t. the particles only. Flows of portable terms (MLP ratio terms) are
 * split across worker threads by particle (src/flow/parallel/); the noise is chunked
 * (./noise.ts) so the split does not change it.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';
import { driftGradient, eulerMaruyama, isSnapshotStep, type FlowSettings, type FlowTerm } from './core.js';
import type { FlowNoise } from './noise.js';
import { parallelFlow } from './parallel/pool.js';

export { ratioTerm, driftGradient, eulerMaruyama } from './core.js';
export type { FlowTerm, FlowSettings, PortableTerm } from './core.js';
export { FlowNoise, NOISE_CHUNK_ROWS, chunkSeed } from './noise.js';
export { startFlowWorkers, stopFlowWorkers, flowWorkerCount, setParallelMinRows, PARALLEL_MIN_ROWS } from './parallel/pool.js';

export interface FlowRecording {
  /** Keep a copy of the particles every this many steps (and the first and last). */
  trajectoryEvery?: number;
  /** Per-particle log-ratio whose mean is recorded at every step (the KL estimate). */
  logRatio?: (x: Tensor2D) => Tensor;
}

export interface FlowResult {
  x: Tensor2D;
  /** Particle snapshots as row-major arrays, with their step numbers. */
  trajectory?: { step: number; points: Float32Array }[];
  /** Mean log-ratio at steps 0..K (K + 1 values). */
  kl?: number[];
}

function meanOf(t: Tensor): number {
  return tf.tidy(() => tf.mean(t)).dataSync()[0];
}

/**
 * Runs the flow from x0 (not disposed). Noise comes from the chunked source `noise`, so runs
 * are reproducible and independent of the thread count. Returns a new tensor; the caller
 * disposes it.
 */
export function runFlow(
  x0: Tensor2D,
  terms: FlowTerm[],
  settings: FlowSettings,
  noise: FlowNoise,
  record: FlowRecording = {},
): FlowResult {
  // The KL curve needs every particle's log-ratio at every step: main thread only.
  if (!record.logRatio) {
    const parallel = parallelFlow(x0, terms, settings, noise, record.trajectoryEvery);
    if (parallel) return parallel;
  }
  const grad = driftGradient(terms);
  const [n, dim] = x0.shape;
  const trajectory: { step: number; points: Float32Array }[] | undefined = record.trajectoryEvery ? [] : undefined;
  const kl: number[] | undefined = record.logRatio ? [] : undefined;
  const every = record.trajectoryEvery ?? 0;
  const observe = (x: Tensor2D, k: number): void => {
    if (trajectory && isSnapshotStep(k, every, settings.steps)) {
      trajectory.push({ step: k, points: x.dataSync().slice() as Float32Array });
    }
    if (kl && record.logRatio) {
      const logRatio = record.logRatio;
      kl.push(tf.tidy(() => meanOf(logRatio(x))));
    }
  };
  const x = eulerMaruyama(x0, grad, settings, noise.stepper(0, n, dim), observe);
  return { x, trajectory, kl };
}
