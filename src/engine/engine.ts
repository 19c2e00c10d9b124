/**
 * What an engine does for the method: runs flows of flow terms, evaluates ratio nets, and
 * computes a training step's loss and gradients. Two implement it: ONNX Runtime (./ort/,
 * native, the default in Node) and TF.js (./tfjs/, the fallback and the browser's engine).
 * The method code (flow/, train/) calls these and never says how a drift is computed.
 */
import type { Tensor, Tensor2D } from './tf.js';
import type { FlowSettings, FlowTerm } from '../flow/terms.js';
import type { FlowNoise } from '../flow/noise.js';
import type { RatioNet } from '../nets/ratio-net.js';
import type { RatioLoss } from '../losses/index.js';

export const ENGINES = ['auto', 'ort', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINES)[number];
export type EngineName = Exclude<EngineChoice, 'auto'>;

export interface FlowRecording {
  /** Keep a copy of the particles every this many steps (and the first and last). */
  trajectoryEvery?: number;
  /**
   * Record the mean output of the first term's net (a ratio term) at steps 0..K: for a
   * log-ratio net, the KL estimate along the flow.
   */
  meanOutput?: boolean;
}

export interface FlowResult {
  x: Tensor2D;
  /** Particle snapshots as row-major arrays, with their step numbers. */
  trajectory?: { step: number; points: Float32Array }[];
  /** With `meanOutput`: the first term's mean net output at steps 0..K (K + 1 values). */
  meanOutputs?: number[];
}

export interface TrainingGradients {
  /** The ratio loss of the batch. */
  loss: number;
  /** The mean net output over the particles. */
  meanOut: number;
  /** The Euclidean norm of the gradient over all weights. */
  gradNorm: number;
  /** ∂loss/∂weights, in the net's parameter order (new tensors; the caller disposes them). */
  grads: Tensor[];
}

export interface Engine {
  readonly name: EngineName;
  /**
   * `settings.steps` Euler–Maruyama steps from x0 (not disposed) with noise from `noise`; null
   * where this engine cannot compile one of the terms (another engine must run the flow).
   */
  flow(x0: Tensor2D, terms: FlowTerm[], settings: FlowSettings, noise: FlowNoise, record: FlowRecording): Promise<FlowResult> | null;
  /** ∇ₓΦ(x) of the terms at x (not disposed); null where this engine cannot compile a term. */
  drift(x: Tensor2D, terms: FlowTerm[]): Promise<Tensor2D> | null;
  /** The net's outputs for the rows of x, with `weights` (default: its variables). */
  outputs(net: RatioNet, weights: Tensor[] | undefined, x: Tensor2D): Promise<Float32Array>;
  /**
   * Get ready for flows of `rows` particles (heavy: conv nets) while the caller sets up, e.g.
   * start worker threads. Optional.
   */
  prepare?(work: { rows: number; heavy: boolean }): void;
  /** The ratio loss of flowed particles against data and its gradients w.r.t. the net's variables. */
  trainingGradients(net: RatioNet, loss: RatioLoss, particles: Tensor2D, data: Tensor2D): Promise<TrainingGradients>;
}
