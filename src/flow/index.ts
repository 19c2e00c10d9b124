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
export {
  startFlowWorkers,
  stopFlowWorkers,
  flowWorkerCount,
  setParallelMinRows,
  PARALLEL_MIN_ROWS,
  parallelGradients,
  gradientBlocksInWorkers,
} from './parallel/pool.js';

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

/**
 * Runs the flow from x0 (not disposed). Noise comes from the chunked source `noise`, so runs
 * are reproducible and independent of the thread count. Returns a new tensor; the caller
 * disposes it. Asynchronous because recorded snapshots and KL values are read back from the
 * engine with `await data()` once the flow has run (a GPU backend in Node has no synchronous
 * read-back, and one read at the end avoids a GPU sync per step).
 */
export async function runFlow(
  x0: Tensor2D,
  terms: FlowTerm[],
  settings: FlowSettings,
  noise: FlowNoise,
  record: FlowRecording = {},
): Promise<FlowResult> {
  // The KL curve needs every particle's log-ratio at every step: main thread only.
  if (!record.logRatio) {
    const parallel = parallelFlow(x0, terms, settings, noise, record.trajectoryEvery);
    if (parallel) return parallel;
  }
  const grad = driftGradient(terms);
  const [n, dim] = x0.shape;
  const snapshots: { step: number; points: Tensor }[] = [];
  const klMeans: Tensor[] = [];
  const every = record.trajectoryEvery ?? 0;
  const observe = (x: Tensor2D, k: number): void => {
    if (record.trajectoryEvery && isSnapshotStep(k, every, settings.steps)) snapshots.push({ step: k, points: tf.keep(tf.clone(x)) });
    const logRatio = record.logRatio;
    if (logRatio) klMeans.push(tf.keep(tf.tidy(() => tf.mean(logRatio(x)))));
  };
  let x: Tensor2D;
  try {
    x = eulerMaruyama(x0, grad, settings, noise.stepper(0, n, dim), observe);
  } catch (e) {
    tf.dispose([...snapshots.map((s) => s.points), ...klMeans]);
    throw e;
  }
  try {
    const trajectory = record.trajectoryEvery
      ? await Promise.all(snapshots.map(async (s) => ({ step: s.step, points: ((await s.points.data()) as Float32Array).slice() })))
      : undefined;
    let kl: number[] | undefined;
    if (record.logRatio) {
      const stacked = klMeans.length ? tf.stack(klMeans) : null;
      try {
        kl = stacked ? Array.from(await stacked.data()) : [];
      } finally {
        stacked?.dispose();
      }
    }
    return { x, trajectory, kl };
  } catch (e) {
    x.dispose();
    throw e;
  } finally {
    tf.dispose([...snapshots.map((s) => s.points), ...klMeans]);
  }
}
