/**
 * The ratio estimator r_θ (or log r_θ) behind one interface, whatever its architecture: an MLP
 * for points, a CNN or ResNet for images. The flow and the trainer only see `RatioNet`.
 */
import type { ImageShape } from '../data/types.js';
import type { Rng } from '../util/rng.js';
import type { Activation } from './activations.js';
import type { MlpSpec, NetDefinition, NetSpec, RatioNet } from './interfaces.js';
import { createMlp, mlpForward } from './mlp.js';
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

export type { NetSpec, NetDefinition, RatioNet, FusedTraining } from './interfaces.js';

/** The definition of a net spec (pure: any thread, any engine). */
export function netDefinition(spec: NetSpec): NetDefinition {
  if (isMlpSpec(spec)) return { spec, forward: (ops, x, ws) => mlpForward(ops, spec, x, ws), normalizeWeights: (_ops, ws) => ws };
  const layout = convLayout(spec);
  return { spec, forward: (ops, x, ws) => layout.forward(ops, x, ws), normalizeWeights: (ops, ws) => normalizedConvWeights(ops, spec, layout.slots, ws) };
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
