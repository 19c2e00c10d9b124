/**
 * Flow terms (src/flow/terms.ts) for the ONNX Runtime engine, in two steps:
 * - `portableTerm` (main thread): a term as plain data — its net spec or classifier layers,
 *   divergence, weight, and its weights read now, with a version that changes when they do —
 *   which worker threads can receive; null for a term with no graph form (any TF.js potential,
 *   a classifier layer of a kind not translated), which then runs on the TF.js engine;
 * - `graphTerm` (any thread): the portable term as graph ops, a ratio term through its net's
 *   forward pass and its divergence's f′ (written once for every engine, TensorOps), a
 *   classifier term by its layers.
 */
import type { Tensor } from '../tf.js';
import type { FlowTerm, ClassifierTerm, RatioTerm } from '../../flow/terms.js';
import { getDivergence, type DivergenceName, type NetOutput } from '../../divergences/index.js';
import { isMlpSpec, netDefinition, type NetDefinition, type NetSpec } from '../../nets/ratio-net.js';
import type { Value } from './graph.js';
import * as op from './ops.js';
import { ortOps } from './tensor-ops.js';

export interface WeightArray {
  data: Float32Array;
  shape: number[];
}

/** A classifier layer we translate, as plain data. */
export interface LayerDescription {
  cls: 'Conv2D' | 'Dense' | 'Flatten' | 'GlobalAveragePooling2D' | 'Activation';
  act?: string;
  stride?: number;
  padding?: 'same' | 'valid';
  useBias?: boolean;
  /** How many of the term's weights are this layer's. */
  count: number;
}

interface PortableBase {
  weight: number;
  weights: WeightArray[];
  /** Equal for equal weight values (a cache key for graphs with the weights baked in). */
  version: number;
}

export type PortableTerm =
  | (PortableBase & { kind: 'ratio'; spec: NetSpec; divergence: DivergenceName; output: NetOutput })
  | (PortableBase & {
      kind: 'classifier';
      layers: LayerDescription[];
      image: { height: number; width: number; channels: number };
      classIndex: number;
      temperature: number;
      mapped: boolean;
    });

export interface GraphTerm {
  /** What the graph depends on besides the weights' values (a cache key). */
  key: string;
  weights: WeightArray[];
  version: number;
  weight: number;
  /** Has convolutions (worth baking the weights in: ONNX Runtime's blocked convolutions need constant kernels). */
  convolutional: boolean;
  /** The ratio net of a ratio term (its weights may need normalising before they are baked). */
  net?: NetDefinition;
  /**
   * The per-particle potential [n] or [n, 1] of particles x, and (ratio terms) the net output;
   * `normalized`: the weights given are already the ones the net computes with.
   */
  build(x: Value, ws: Value[], normalized: boolean): { potential: Value; netOut?: Value };
}

/** Values of tensors read now (a copy a graph, a session or a worker may keep). */
export function readWeights(tensors: Tensor[]): WeightArray[] {
  return tensors.map((t) => ({ data: (t.dataSync() as Float32Array).slice(), shape: t.shape.slice() }));
}

// ---------------------------------------------------------------------------------------------
// versions of weight values: the same tensors (TF.js gives a variable new data on every update)
// keep their version

let nextVersion = 1;
const versions: { ids: object[]; version: number }[] = [];

function versionOf(tensors: Tensor[]): number {
  const ids = tensors.map((t) => t.dataId);
  const found = versions.find((v) => v.ids.length === ids.length && v.ids.every((id, i) => id === ids[i]));
  if (found) return found.version;
  versions.push({ ids, version: nextVersion });
  if (versions.length > 16) versions.shift();
  return nextVersion++;
}

// ---------------------------------------------------------------------------------------------
// main thread: terms as plain data

const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid'];

type Layer = ClassifierTerm['model']['layers'][number];

/** One TF.js layer as plain data, with its weights, or null when it is of a kind we do not translate. */
function describeLayer(layer: Layer): { layer: LayerDescription; weights: Tensor[] } | null | 'skip' {
  const cls = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  const act = config.activation as string | undefined;
  if (act !== undefined && !ACTIVATIONS.includes(act)) return null;
  const weights = layer.getWeights();
  switch (cls) {
    case 'InputLayer':
    case 'Dropout':
      return 'skip';
    case 'Conv2D': {
      const [sh, sw] = config.strides as number[];
      const [dh, dw] = (config.dilationRate as number[] | undefined) ?? [1, 1];
      const padding = config.padding as string;
      if (sh !== sw || dh !== 1 || dw !== 1 || (padding !== 'same' && padding !== 'valid') || config.dataFormat === 'channelsFirst') return null;
      return { layer: { cls, act, stride: sh, padding, useBias: weights.length > 1, count: weights.length }, weights };
    }
    case 'Dense':
      return { layer: { cls, act, useBias: weights.length > 1, count: weights.length }, weights };
    case 'Flatten':
    case 'GlobalAveragePooling2D':
    case 'Activation':
      return { layer: { cls, act, count: 0 }, weights: [] };
    default:
      return null;
  }
}

function portableRatio(term: RatioTerm): PortableTerm {
  const sources = term.weights ?? term.net.params.map((p) => p.variable);
  return {
    kind: 'ratio',
    spec: term.net.spec,
    divergence: term.divergence,
    output: term.output,
    weight: term.weight,
    weights: readWeights(sources),
    version: versionOf(sources),
  };
}

function portableClassifier(term: ClassifierTerm): PortableTerm | null {
  const layers: LayerDescription[] = [];
  const sources: Tensor[] = [];
  for (const layer of term.model.layers) {
    const d = describeLayer(layer);
    if (d === null) return null;
    if (d === 'skip') continue;
    layers.push(d.layer);
    sources.push(...d.weights);
  }
  const weights = readWeights(sources);
  const { mapping } = term;
  if (mapping) weights.push({ data: Float32Array.from(mapping.std), shape: [mapping.std.length] }, { data: Float32Array.from(mapping.mean), shape: [mapping.mean.length] });
  return {
    kind: 'classifier',
    layers,
    image: term.image,
    classIndex: term.classIndex,
    temperature: term.temperature,
    mapped: mapping !== null,
    weight: term.weight,
    weights,
    version: versionOf(sources),
  };
}

/** A flow term as plain data (main thread), or null where it has no graph form. */
export function portableTerm(term: FlowTerm): PortableTerm | null {
  switch (term.kind) {
    case 'ratio':
      return portableRatio(term);
    case 'classifier':
      return portableClassifier(term);
    case 'potential':
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// any thread: portable terms as graph ops

function activate(h: Value, name: string | undefined): Value {
  switch (name ?? 'linear') {
    case 'relu':
      return op.leakyRelu(h, 0);
    case 'tanh':
      return op.tanh(h);
    case 'sigmoid':
      return op.sigmoid(h);
    default:
      return h;
  }
}

function applyLayer(layer: LayerDescription, h: Value, ws: Value[]): Value {
  switch (layer.cls) {
    case 'Conv2D': {
      const [k] = ws[0].shape as number[];
      const [, , height, width] = h.shape as number[];
      const pads = layer.padding === 'same' ? op.samePads(height, width, k, layer.stride!) : ([0, 0, 0, 0] as [number, number, number, number]);
      return activate(op.conv2d(h, op.transpose(ws[0], [3, 2, 0, 1]), layer.useBias ? ws[1] : null, { stride: layer.stride!, pads }), layer.act);
    }
    case 'Dense':
      return activate(op.gemm(h, ws[0], layer.useBias ? ws[1] : null), layer.act);
    case 'Flatten':
      return ortOps.flatten(h);
    case 'GlobalAveragePooling2D':
      return ortOps.spatialMean(h);
    case 'Activation':
      return activate(h, layer.act);
  }
}

/** A portable term as graph ops (pure: any thread). */
export function graphTerm(p: PortableTerm): GraphTerm {
  const base = { weights: p.weights, version: p.version, weight: p.weight };
  if (p.kind === 'ratio') {
    const net = netDefinition(p.spec);
    const d = getDivergence(p.divergence);
    return {
      ...base,
      key: JSON.stringify({ kind: 'ratio', spec: p.spec, divergence: p.divergence, output: p.output }),
      convolutional: !isMlpSpec(p.spec),
      net,
      build(x, ws, normalized) {
        const netOut = net.forward(ortOps, x, normalized ? ws : net.normalizeWeights(ortOps, ws));
        return { potential: d.fPrimeOf(ortOps, netOut, p.output), netOut };
      },
    };
  }
  const { layers, image, classIndex, temperature, mapped } = p;
  return {
    ...base,
    key: JSON.stringify({ kind: 'classifier', layers, image, classIndex, temperature, mapped }),
    convolutional: layers.some((l) => l.cls === 'Conv2D'),
    build(x, ws) {
      const flat = mapped ? op.add(op.mul(x, ws[ws.length - 2]), ws[ws.length - 1]) : x;
      let h = ortOps.toImage(flat, image);
      let at = 0;
      for (const layer of layers) {
        h = applyLayer(layer, h, ws.slice(at, at + layer.count));
        at += layer.count;
      }
      const logProbs = op.logSoftmax(temperature === 1 ? h : op.scale(h, 1 / temperature));
      const classes = h.shape[1] as number;
      const onehot = x.graph.constant(Array.from({ length: classes }, (_, c) => (c === classIndex ? 1 : 0)), [classes]);
      return { potential: op.neg(op.sum(op.mul(logProbs, onehot), [1])) };
    },
  };
}
