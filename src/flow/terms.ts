/**
 * The terms of the flow's potential Φ(x) = Σ weight·φ(x): each a description (which net or
 * classifier, which weights, which divergence) that an engine compiles into a drift
 * (src/engine/). Nothing here says how a drift is computed.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Tensor, Tensor2D } from '../engine/index.js';
import { getDivergence, type DivergenceName, type NetOutput } from '../divergences/index.js';
import type { RatioNet } from '../nets/ratio-net.js';
import type { ImageShape } from '../data/types.js';

export interface FlowSettings {
  steps: number;
  eta: number;
  noise: number;
  /** The last `quietSteps` of the steps add no noise (default 0). */
  quietSteps?: number;
}

interface TermBase {
  weight: number;
  label: string;
}

/** f′(r_θ(x)) of a ratio net, with `weights` (e.g. the EMA copy) or, absent, the net's own variables. */
export interface RatioTerm extends TermBase {
  kind: 'ratio';
  net: RatioNet;
  weights?: Tensor[];
  divergence: DivergenceName;
  output: NetOutput;
}

/**
 * −log p(y = classIndex | x) of an image classifier, log softmax(logits/temperature)_y, with x
 * mapped back to data space (x·std + mean) first when `mapping` is given.
 */
export interface ClassifierTerm extends TermBase {
  kind: 'classifier';
  /** A TF.js layers model from [n, H, W, C] images in [−1, 1] to logits [n, classes]. */
  model: LayersModel;
  image: ImageShape;
  classIndex: number;
  temperature: number;
  mapping: { mean: number[]; std: number[] } | null;
}

/** Any per-particle potential written as a differentiable TF.js function (TF.js engine only). */
export interface PotentialTerm extends TermBase {
  kind: 'potential';
  potential(x: Tensor2D): Tensor;
}

export type FlowTerm = RatioTerm | ClassifierTerm | PotentialTerm;

/** f′(r_θ(x)) as a flow term, evaluated with `weights` (e.g. the EMA copy) if given. */
export function ratioTerm(net: RatioNet, divergence: DivergenceName, output: NetOutput, weights?: Tensor[], weight = 1): RatioTerm {
  return { kind: 'ratio', net, weights, divergence, output, weight, label: `f′ ${getDivergence(divergence).label}` };
}

/** Is step k one whose particles a trajectory keeps (every `every` steps, the first and last)? */
export function isSnapshotStep(k: number, every: number, steps: number): boolean {
  return k === 0 || k % every === 0 || k === steps;
}

/** The steps 0..`steps` a trajectory keeps, in order (none when `every` is 0). */
export function snapshotSteps(steps: number, every: number): number[] {
  return every ? Array.from({ length: steps + 1 }, (_, k) => k).filter((k) => isSnapshotStep(k, every, steps)) : [];
}
