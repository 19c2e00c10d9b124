/**
 * What every ratio net is to the rest of the code: its spec, its definition (the computation an
 * engine compiles) and the `RatioNet` interface the flow and the trainer see. Types only, in a
 * file of their own so that mlp.ts and ratio-net.ts do not import each other.
 */
import type { FusedNet, Tensor, Tensor2D, TensorOps } from '../engine/index.js';
import type { ParamList } from './params.js';
import type { Activation } from './activations.js';
import type { ConvSpec } from './conv.js';

export interface MlpSpec {
  type?: 'mlp';
  inputDim: number;
  hidden: number;
  /** Number of hidden h → h layers after the input layer (authors: 3). */
  depth: number;
  activation: Activation;
}

export type NetSpec = MlpSpec | ConvSpec;

/** A net's computation alone, from its spec (no weights held): what an engine compiles. */
export interface NetDefinition {
  spec: NetSpec;
  /**
   * The net's output [n, 1] for x [n, dim] with weights `ws` as it computes with them (see
   * `normalizeWeights`), on any engine.
   */
  forward<T>(ops: TensorOps<T>, x: T, ws: T[]): T;
  /** The weights `forward` takes, from the weights as trained (spectrally normalised where the net is), on any engine. */
  normalizeWeights<T>(ops: TensorOps<T>, ws: T[]): T[];
}

export interface RatioNet extends NetDefinition {
  params: ParamList;
  /** Net output (r or log r) for a batch [n, dim] → [n, 1], using `weights` if given. */
  apply(x: Tensor2D, weights?: Tensor[]): Tensor2D;
  /**
   * The same as `apply` for weights that stay fixed over many calls (the flow): may keep work
   * that depends on the weights only (spectral normalisation) between calls, so it is not
   * differentiable w.r.t. the weights. Absent: use `apply`.
   */
  applyFixed?(x: Tensor2D, weights?: Tensor[]): Tensor2D;

  /**
   * Fast path for the flow: ∇ₓ Σᵢ φ(out(xᵢ)) given dφ/dout as a function of the output, by one
   * fused forward pass and a hand-written backward pass w.r.t. the input only (no tape).
   * Absent when the net has no cheap hand-written backward; callers then use autodiff.
   */
  inputGradient?(x: Tensor2D, dPhi: (out: Tensor) => Tensor, weights?: Tensor[]): Tensor2D;
  /**
   * The net with `weights` read now, on our fused CPU kernels (MLPs), or null where they do
   * not apply. Absent: the net has no such form.
   */
  fused?(weights?: Tensor[]): FusedNet | null;
  /**
   * A training pass on the fused CPU kernels with `weights` (as trained, before any spectral
   * normalisation), or null where they do not apply. Absent: the net has no such form.
   */
  fusedTraining?(weights: Tensor[]): FusedTraining | null;
  /**
   * Most rows one forward + backward pass should take at once (big conv nets: the wasm heap
   * is 4 GiB); callers split larger batches. Absent: no limit.
   */
  maxRows?: number;
  dispose(): void;
}

/** One training pass on the fused kernels: outputs, then the loss's gradients w.r.t. the weights. */
export interface FusedTraining {
  /** Net outputs for x [rows, inputs]: [rows]. */
  forward(x: Float32Array, rows: number): Float32Array;
  /** Gradients w.r.t. the weights (new tensors, in weight order) given dL/dout for the rows of `forward`. */
  gradients(dOut: Float32Array): Tensor[];
}
