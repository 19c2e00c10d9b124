/**
 * A ratio net as a TF.js layers model (`dggf export --format tfjs`): the net's own forward pass
 * (src/nets/, written once against TensorOps) run on symbolic tensors, each op adding the
 * layer that computes it with the given weights. So every net built from dense and conv
 * layers, the activations, pooling, reshapes and residual sums exports without a per-family
 * translation; an op layers cannot express (a matrix product of two activations, say) fails
 * with one line naming it.
 */
import { tf, type Tensor } from '../tf.js';
import { input as layersInput, layers, model as layersModel, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { ImageDims, TensorOps } from '../tensor-ops.js';
import type { NetDefinition } from '../../nets/ratio-net.js';
import { tfjsOps } from '../tfjs-ops.js';

/** An activation (symbolic) or a weight (values known now). */
type Node = { sym: SymbolicTensor } | { weight: Tensor };

export class LayersExportError extends Error {}

const symOf = (n: Node, op: string): SymbolicTensor => {
  if ('sym' in n) return n.sym;
  throw new LayersExportError(`--format tfjs: the net applies '${op}' to its weights inside the forward pass, which a layers model cannot hold; use --format onnx`);
};
const weightOf = (n: Node, op: string): Tensor => {
  if ('weight' in n) return n.weight;
  throw new LayersExportError(`--format tfjs: the net's '${op}' takes a computed value as its weight, which a layers model cannot hold; use --format onnx`);
};
const apply = (layer: layers.Layer, input: SymbolicTensor | SymbolicTensor[]): Node => ({ sym: layer.apply(input) as SymbolicTensor });
const unsupported = (op: string) => (): never => {
  throw new LayersExportError(`--format tfjs: the net uses '${op}', which has no TF.js layer here; use --format onnx`);
};

function layersOps(): TensorOps<Node> {
  return {
    add: (a, b) => apply(layers.add(), [symOf(a, 'add'), symOf(b, 'add')]),
    mul: (a, b) => apply(layers.multiply(), [symOf(a, 'mul'), symOf(b, 'mul')]),
    sigmoid: (x) => apply(layers.activation({ activation: 'sigmoid' }), symOf(x, 'sigmoid')),
    tanh: (x) => apply(layers.activation({ activation: 'tanh' }), symOf(x, 'tanh')),
    softplus: (x) => apply(layers.activation({ activation: 'softplus' }), symOf(x, 'softplus')),
    leakyRelu: (x, slope) => apply(slope === 0 ? layers.reLU() : layers.leakyReLU({ alpha: slope }), symOf(x, 'leakyRelu')),
    dense: (x, kernel, bias) => {
      const k = weightOf(kernel, 'dense');
      return apply(layers.dense({ units: k.shape[1] as number, weights: [k, weightOf(bias, 'dense')] }), symOf(x, 'dense'));
    },
    conv2d: (x, kernel, bias, stride, pad) => {
      const k = weightOf(kernel, 'conv2d');
      const weights = bias ? [k, weightOf(bias, 'conv2d')] : [k];
      const spec = { filters: k.shape[3] as number, kernelSize: [k.shape[0] as number, k.shape[1] as number], strides: stride, useBias: bias !== null, weights };
      if (pad === undefined) return apply(layers.conv2d({ ...spec, padding: 'same' }), symOf(x, 'conv2d'));
      // PyTorch's symmetric padding (the authors' nets): explicit zero padding, then a 'valid' conv
      const padded = pad > 0 ? apply(layers.zeroPadding2d({ padding: [[pad, pad], [pad, pad]] }), symOf(x, 'conv2d')) : x;
      return apply(layers.conv2d({ ...spec, padding: 'valid' }), symOf(padded, 'conv2d'));
    },
    toImage: (x, image: ImageDims) => apply(layers.reshape({ targetShape: [image.height, image.width, image.channels] }), symOf(x, 'toImage')),
    avgPool2: (x) => apply(layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' }), symOf(x, 'avgPool2')),
    spatialMean: (x) => apply(layers.globalAveragePooling2d({}), symOf(x, 'spatialMean')),
    flatten: (x) => apply(layers.flatten(), symOf(x, 'flatten')),
    sub: unsupported('sub'),
    scale: unsupported('scale'),
    addScalar: unsupported('addScalar'),
    neg: unsupported('neg'),
    exp: unsupported('exp'),
    square: unsupported('square'),
    mean: unsupported('mean'),
    sum: unsupported('sum'),
    div: unsupported('div'),
    sqrt: unsupported('sqrt'),
    maxAbs: unsupported('maxAbs'),
    stopGradient: unsupported('stopGradient'),
    matMul: unsupported('matMul'),
    reshape: unsupported('reshape'),
    constant: unsupported('constant'),
    // self-attention (its gate multiplies by a weight, which a layers model cannot hold either)
    toTokens: unsupported('self-attention'),
    fromTokens: unsupported('self-attention'),
    batchMatMul: unsupported('self-attention'),
    softmax: unsupported('self-attention'),
  };
}

/**
 * The net as a layers model: input x [n, dim] → [n, 1], with `weights` as the net computes
 * with them (spectral normalisation already applied). The weights are copied into the layers.
 */
export function ratioNetLayersModel(net: NetDefinition, dim: number, weights: Tensor[]): LayersModel {
  const input = layersInput({ shape: [dim], name: 'x' });
  const out = net.forward(layersOps(), { sym: input }, weights.map((w) => ({ weight: w })));
  return layersModel({ inputs: input, outputs: symOf(out, 'output'), name: 'dggf_ratio_net' });
}

/** The files of a layers model in TF.js's own format: model.json and its weights (one .bin). */
export async function layersModelFiles(model: LayersModel, weightsFile: string): Promise<{ modelJson: string; weights: Uint8Array }> {
  let files: { modelJson: string; weights: Uint8Array } | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const parts = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const total = parts.reduce((s, p) => s + p.byteLength, 0);
      const weights = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        weights.set(new Uint8Array(p), at);
        at += p.byteLength;
      }
      const json = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }],
      };
      files = { modelJson: JSON.stringify(json), weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new Error('layersModelFiles: TF.js did not save the model');
  return files;
}

/**
 * The TF.js layers files of a ratio net with the weights as trained (`weights`: e.g. the EMA
 * variables), normalised here as the net computes with them.
 */
export async function ratioNetLayersFiles(net: NetDefinition, dim: number, weights: Tensor[], weightsFile: string): Promise<{ modelJson: string; weights: Uint8Array }> {
  const normalized = tf.tidy(() => net.normalizeWeights(tfjsOps, weights).map((w) => tf.keep(w.clone())));
  const model = ratioNetLayersModel(net, dim, normalized);
  try {
    return await layersModelFiles(model, weightsFile);
  } finally {
    model.dispose();
    tf.dispose(normalized);
  }
}
