/**
 * Flow terms (src/flow/terms.ts) in graph form: a ratio term through its net's forward pass
 * and its divergence's f′, written once for every engine (TensorOps); a classifier term by
 * translating its TF.js layers model (conv, dense, flatten, pooling, dropout, activations)
 * into the same ops. A term this cannot translate (any TF.js potential, an unknown layer)
 * yields null, and the flow runs on the TF.js engine instead.
 */
import type { Tensor } from '../tf.js';
import type { FlowTerm, ClassifierTerm, RatioTerm } from '../../flow/terms.js';
import type { RatioNet } from '../../nets/ratio-net.js';
import { getDivergence } from '../../divergences/index.js';
import type { Value } from './graph.js';
import * as op from './ops.js';
import { ortOps } from './tensor-ops.js';

export interface WeightArray {
  data: Float32Array;
  shape: number[];
}

export interface GraphTerm {
  /** What the graph depends on besides the weights' values (a cache key). */
  key: string;
  weights: WeightArray[];
  /** The tensors the weights were read from: the same tensors mean the same values. */
  sources: Tensor[];
  weight: number;
  /** Has convolutions (worth baking the weights in: ONNX Runtime's blocked convolutions need constant kernels). */
  convolutional: boolean;
  /** The ratio net of a ratio term (its weights may need normalising before they are baked). */
  net?: RatioNet;
  /**
   * The per-particle potential [n] or [n, 1] of particles x, and (ratio terms) the net output;
   * `normalized`: the weights given are already the ones the net computes with.
   */
  build(x: Value, ws: Value[], normalized: boolean): { potential: Value; netOut?: Value };
}

/** Values of tensors read now (a copy the graph or a session may keep). */
export function readWeights(tensors: Tensor[]): WeightArray[] {
  return tensors.map((t) => ({ data: (t.dataSync() as Float32Array).slice(), shape: t.shape.slice() }));
}

function ratioGraphTerm(term: RatioTerm): GraphTerm {
  const { net, divergence, output } = term;
  const d = getDivergence(divergence);
  const sources = term.weights ?? net.params.map((p) => p.variable);
  return {
    key: JSON.stringify({ kind: 'ratio', spec: net.spec, divergence, output }),
    weights: readWeights(sources),
    sources,
    weight: term.weight,
    convolutional: net.spec.type === 'cnn' || net.spec.type === 'resnet',
    net,
    build(x, ws, normalized) {
      const netOut = net.forward(ortOps, x, normalized ? ws : net.normalizeWeights(ortOps, ws));
      return { potential: d.fPrimeOf(ortOps, netOut, output), netOut };
    },
  };
}

type Layer = ClassifierTerm['model']['layers'][number];
type LayerStep = { key: unknown; weights: Tensor[]; apply(h: Value, ws: Value[]): Value };

const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid'];

function activate(h: Value, name: string | undefined): Value | null {
  switch (name ?? 'linear') {
    case 'linear':
      return h;
    case 'relu':
      return op.leakyRelu(h, 0);
    case 'tanh':
      return op.tanh(h);
    case 'sigmoid':
      return op.sigmoid(h);
    default:
      return null;
  }
}

/** One TF.js layer as graph ops, or null when it is of a kind we do not translate. */
function layerStep(layer: Layer): LayerStep | null | 'skip' {
  const cls = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  const actName = config.activation as string | undefined;
  if (actName !== undefined && !ACTIVATIONS.includes(actName)) return null;
  switch (cls) {
    case 'InputLayer':
    case 'Dropout':
      return 'skip';
    case 'Conv2D': {
      const [sh, sw] = config.strides as number[];
      const [dh, dw] = (config.dilationRate as number[] | undefined) ?? [1, 1];
      const padding = config.padding as string;
      if (sh !== sw || dh !== 1 || dw !== 1 || (padding !== 'same' && padding !== 'valid') || config.dataFormat === 'channelsFirst') return null;
      const weights = layer.getWeights();
      const useBias = weights.length > 1;
      return {
        key: { cls, stride: sh, padding, act: actName, useBias, shape: weights[0].shape },
        weights,
        apply(h, ws) {
          const [k] = ws[0].shape as number[];
          const [, , height, width] = h.shape as number[];
          const pads = padding === 'same' ? op.samePads(height, width, k, sh) : ([0, 0, 0, 0] as [number, number, number, number]);
          const y = op.conv2d(h, op.transpose(ws[0], [3, 2, 0, 1]), useBias ? ws[1] : null, { stride: sh, pads });
          return activate(y, actName)!;
        },
      };
    }
    case 'Dense': {
      const weights = layer.getWeights();
      const useBias = weights.length > 1;
      return {
        key: { cls, act: actName, useBias, shape: weights[0].shape },
        weights,
        apply: (h, ws) => activate(op.gemm(h, ws[0], useBias ? ws[1] : null), actName)!,
      };
    }
    case 'Flatten':
      return { key: { cls }, weights: [], apply: (h) => ortOps.flatten(h) };
    case 'GlobalAveragePooling2D':
      return { key: { cls }, weights: [], apply: (h) => ortOps.spatialMean(h) };
    case 'Activation':
      return { key: { cls, act: actName }, weights: [], apply: (h) => activate(h, actName)! };
    default:
      return null;
  }
}

function classifierGraphTerm(term: ClassifierTerm): GraphTerm | null {
  const steps: LayerStep[] = [];
  for (const layer of term.model.layers) {
    const step = layerStep(layer);
    if (step === null) return null;
    if (step !== 'skip') steps.push(step);
  }
  const { image, classIndex, temperature, mapping } = term;
  const sources = [...steps.flatMap((s) => s.weights)];
  const weights = readWeights(sources);
  if (mapping) weights.push({ data: Float32Array.from(mapping.std), shape: [mapping.std.length] }, { data: Float32Array.from(mapping.mean), shape: [mapping.mean.length] });
  const counts = steps.map((s) => s.weights.length);
  return {
    key: JSON.stringify({ kind: 'classifier', layers: steps.map((s) => s.key), image, classIndex, temperature, mapped: mapping !== null }),
    weights,
    sources,
    weight: term.weight,
    convolutional: steps.some((s) => (s.key as { cls: string }).cls === 'Conv2D'),
    build(x, ws) {
      let flat = x;
      if (mapping) flat = op.add(op.mul(x, ws[ws.length - 2]), ws[ws.length - 1]);
      let h = ortOps.toImage(flat, image);
      let at = 0;
      steps.forEach((s, i) => {
        h = s.apply(h, ws.slice(at, at + counts[i]));
        at += counts[i];
      });
      const logProbs = op.logSoftmax(temperature === 1 ? h : op.scale(h, 1 / temperature));
      const classes = h.shape[1] as number;
      const onehot = x.graph.constant(Array.from({ length: classes }, (_, c) => (c === classIndex ? 1 : 0)), [classes]);
      return { potential: op.neg(op.sum(op.mul(logProbs, onehot), [1])) };
    },
  };
}

/** A flow term in graph form, or null where it has none (the TF.js engine then runs the flow). */
export function graphTerm(term: FlowTerm): GraphTerm | null {
  switch (term.kind) {
    case 'ratio':
      return ratioGraphTerm(term);
    case 'classifier':
      return classifierGraphTerm(term);
    case 'potential':
      return null;
  }
}
