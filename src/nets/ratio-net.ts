/**
 * The ratio estimator r_θ (or log r_θ) behind one interface, whatever its architecture: an MLP
 * for points, a CNN or ResNet for images. The flow and the trainer only see `RatioNet`.
 */
import type { FusedNet, Tensor, Tensor2D, TensorOps } from '../engine/index.js';
import type { ImageShape } from '../data/types.js';
import type { Rng } from '../util/rng.js';
import type { ParamList } from './params.js';
import { createMlp, mlpForward, type Activation, type MlpSpec } from './mlp.js';
import {
  buildConvNet,
  convChunkRows,
  convLayout,
  fusedConvNet,
  fusedConvNetApplies,
  type ConvSpec,
  normalizedConvWeights,
  type ResBlockSpec,
} from './conv.js';
import type { BasicStage } from './basic-resnet.js';

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

/** The definition of a net spec (pure: any thread, any engine). */
export function netDefinition(spec: NetSpec): NetDefinition {
  if (isMlpSpec(spec)) return { spec, forward: (ops, x, ws) => mlpForward(ops, spec, x, ws), normalizeWeights: (_ops, ws) => ws };
  const layout = convLayout(spec);
  return { spec, forward: (ops, x, ws) => layout.forward(ops, x, ws), normalizeWeights: (ops, ws) => normalizedConvWeights(ops, spec, layout.slots, ws) };
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

/** The architecture part of a run config (the input shape comes from the data). */
export type NetConfig =
  | { type?: 'mlp'; hidden: number; depth: number; activation: Activation }
  | { type: 'cnn'; channels: number[]; activation: Activation; head?: 'mean' | 'flatten'; headHidden?: number[]; spectralNorm?: boolean }
  | { type: 'resnet'; stem: number; blocks: ResBlockSpec[]; activation: Activation; spectralNorm?: boolean }
  | { type: 'basic-resnet'; stem: number; stages: BasicStage[]; attentionAfter?: number; activation: Activation; spectralNorm?: boolean };

export function isMlpSpec(spec: NetSpec): spec is MlpSpec {
  return spec.type === undefined || spec.type === 'mlp';
}

/** The full spec of a config's net for data of `dim` values per point (and image shape, if images). */
export function netSpec(net: NetConfig, dim: number, image?: ImageShape): NetSpec {
  if (net.type === undefined || net.type === 'mlp') {
    return { inputDim: dim, hidden: net.hidden, depth: net.depth, activation: net.activation };
  }
  if (!image) throw new Error(`a '${net.type}' net needs image data (this data is ${dim}-D points); use an MLP net`);
  return { ...net, image } as ConvSpec;
}

export function createRatioNet(spec: NetSpec, rng: Rng, prefix = 'net'): RatioNet {
  if (isMlpSpec(spec)) return createMlp(spec, rng, prefix === 'net' ? 'mlp' : prefix);
  const { params, forward, forwardFixed, release, fixedWeights } = buildConvNet(spec, rng, prefix);
  return {
    ...netDefinition(spec),
    params,
    maxRows: convChunkRows(spec),
    apply: (x, weights) => forward(x, weights ?? params.map((p) => p.variable)),
    applyFixed: (x, weights) => forwardFixed(x, weights ?? params.map((p) => p.variable)),

    fused: (weights) => (fusedConvNetApplies(spec) ? fusedConvNet(spec, fixedWeights(weights ?? params.map((p) => p.variable))) : null),
    dispose() {
      release();
      for (const p of params) p.variable.dispose();
    },
  };
}
