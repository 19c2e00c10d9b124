/**
 * Convolutional ratio estimators for images. Inputs arrive flat ([n, H·W·C], HWC order, as the
 * flow moves them) and are reshaped here. Three families:
 * - `cnn`: conv3×3 (stride 1) → c₀, then conv4×4 stride 2 per further width, activation after
 *   each, global mean pool (or flatten), optional dense hidden layers, and dense → 1 (the small
 *   nets of our CPU presets);
 * - `resnet`: our pre-activation ResNet: conv3×3 stem, pre-activation residual blocks (act →
 *   conv3×3 → act → conv3×3, 1×1 shortcut when the width changes), "down" blocks average-pool
 *   both paths by 2, then act, global mean pool, dense → 1;
 * - `basic-resnet`: the authors' post-activation BasicBlock ResNets, optionally with
 *   self-attention (./basic-resnet.ts).
 * Weights and biases start at U(±1/√fan_in), as PyTorch's Conv2d/Linear defaults.
 */
import { tf, fusedCnn, fusedKernelsApply, tfjsOps, type FusedCnn, type Tensor, type Tensor2D, type TensorOps } from '../engine/index.js';
import type { Rng } from '../util/rng.js';
import type { ImageShape } from '../data/types.js';
import type { ParamList } from './params.js';
import { activation, reluSlope, type Activation } from './activations.js';
import { spectralNormalize, spectralNormalizeWith } from './spectral-norm.js';
import { SlotList, type ConvLayout, type ParamSlot } from './layout.js';
import { basicResNetActivationFloats, basicResNetLayout, type BasicResNetSpec } from './basic-resnet.js';

export interface CnnSpec {
  type: 'cnn';
  image: ImageShape;
  /** Width of each conv layer; the first is 3×3 stride 1, the others 4×4 stride 2. */
  channels: number[];
  activation: Activation;
  /**
   * 'mean' (default): global mean pool → dense, a sum of local scores (the receptive field of
   * [16, 32, 64] on 28×28 is 12×12 pixels, so it judges patches, not whole digits);
   * 'flatten': dense over the whole last feature map, so the score depends on where things are.
   */
  head?: 'mean' | 'flatten';
  /**
   * Widths of dense hidden layers (each followed by the activation) between the pooled or
   * flattened features and the output: a nonlinear read-out (absent or []: one linear dense).
   */
  headHidden?: number[];
  /** Spectrally normalise every kernel (conv and dense): W / σ(W), see spectral-norm.ts. */
  spectralNorm?: boolean;
}

export interface ResBlockSpec {
  channels: number;
  /** Halve the resolution (average pooling on both paths). */
  down: boolean;
}

export interface ResNetSpec {
  type: 'resnet';
  image: ImageShape;
  /** Width of the stem conv3×3. */
  stem: number;
  blocks: ResBlockSpec[];
  activation: Activation;
  /** Spectrally normalise every kernel (conv, shortcut and dense): W / σ(W). */
  spectralNorm?: boolean;
}

export type ConvSpec = CnnSpec | ResNetSpec | BasicResNetSpec;

/** The weights a conv net computes with: every kernel spectrally normalised where the spec says so. */
export function normalizedConvWeights<T>(ops: TensorOps<T>, spec: ConvSpec, slots: ParamSlot[], ws: T[]): T[] {
  if (!spec.spectralNorm) return ws;
  return ws.map((w, i) => (slots[i].name.endsWith('/kernel') ? spectralNormalizeWith(ops, w, slots[i].shape) : w));
}

/** The layout of a conv spec: its weights and forward pass. */
export function convLayout(spec: ConvSpec): ConvLayout {
  if (spec.type === 'basic-resnet') return basicResNetLayout(spec);
  const { height, width, channels } = spec.image;
  const list = new SlotList();
  const act = <T>(ops: TensorOps<T>, t: T): T => activation(ops, t, spec.activation);
  const conv = <T>(ops: TensorOps<T>, h: T, ws: T[], at: number, stride: number): T => ops.conv2d(h, ws[at], ws[at + 1], stride);
  const dense = <T>(ops: TensorOps<T>, h: T, ws: T[], at: number): T => ops.dense(h, ws[at], ws[at + 1]);

  if (spec.type === 'cnn') {
    if (spec.channels.length === 0) throw new Error('a cnn needs at least one conv layer');
    let cin: number = channels;
    const layers = spec.channels.map((cout, i) => {
      const at = list.conv(`conv${i}`, i === 0 ? 3 : 4, cin, cout);
      cin = cout;
      return at;
    });
    let side = [height, width];
    for (let i = 1; i < spec.channels.length; i++) side = side.map((v) => Math.ceil(v / 2));
    const flatten = spec.head === 'flatten';
    let fanIn = flatten ? side[0] * side[1] * cin : cin;
    const hidden = (spec.headHidden ?? []).map((units, i) => {
      const at = list.add(`hidden${i}`, [fanIn, units], fanIn, units);
      fanIn = units;
      return at;
    });
    const out = list.add('dense', [fanIn, 1], fanIn, 1);
    return {
      slots: list.slots,
      forward(ops, x, ws) {
        let h = ops.toImage(x, spec.image);
        layers.forEach((at, i) => {
          h = act(ops, conv(ops, h, ws, at, i === 0 ? 1 : 2));
        });
        let features = flatten ? ops.flatten(h) : ops.spatialMean(h);
        for (const at of hidden) features = act(ops, dense(ops, features, ws, at));
        return dense(ops, features, ws, out);
      },
    };
  }

  const stem = list.conv('stem', 3, channels, spec.stem);
  let cin = spec.stem;
  const blocks = spec.blocks.map((b, i) => {
    const c1 = list.conv(`block${i}/conv1`, 3, cin, b.channels);
    const c2 = list.conv(`block${i}/conv2`, 3, b.channels, b.channels);
    const skip = cin !== b.channels ? list.conv(`block${i}/skip`, 1, cin, b.channels) : -1;
    cin = b.channels;
    return { c1, c2, skip, down: b.down };
  });
  const out = list.add('dense', [cin, 1], cin, 1);
  return {
    slots: list.slots,
    forward(ops, x, ws) {
      let h = conv(ops, ops.toImage(x, spec.image), ws, stem, 1);
      for (const b of blocks) {
        let r = conv(ops, act(ops, h), ws, b.c1, 1);
        r = conv(ops, act(ops, r), ws, b.c2, 1);
        let skip = b.skip >= 0 ? conv(ops, h, ws, b.skip, 1) : h;
        if (b.down) {
          r = ops.avgPool2(r);
          skip = ops.avgPool2(skip);
        }
        h = ops.add(skip, r);
      }
      return dense(ops, ops.spatialMean(act(ops, h)), ws, out);
    },
  };
}

/** Variables for a layout's weights, U(±1/√fan_in) from `rng` in slot order (zero-initialised slots draw nothing). */
function createParams(slots: ParamSlot[], rng: Rng, prefix: string): ParamList {
  return slots.map(({ name, shape, fanIn, init }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const values = init === 'zero' ? new Float32Array(size) : rng.uniformArray(size, -bound, bound);
    // inside tidy: the initial tensor is freed, the variable kept
    return { name: `${prefix}/${name}`, variable: tf.tidy(() => tf.variable(tf.tensor(values, shape), true)) };
  });
}

export interface BuiltConvNet {
  params: ParamList;
  forward: (x: Tensor2D, ws: Tensor[]) => Tensor2D;
  /**
   * The same output for weights that stay fixed over many calls (a flow's K steps): work that
   * depends on the weights only (spectral normalisation) is done once per set of weights and
   * kept until other weights come, so it is not differentiable w.r.t. the weights.
   */
  forwardFixed: (x: Tensor2D, ws: Tensor[]) => Tensor2D;
  /** Frees what forwardFixed keeps. */
  release(): void;
  /** The weights forwardFixed computes with (spectrally normalised kernels from its cache). */
  fixedWeights(ws: Tensor[]): Tensor[];
}

/** Builds params and the forward function (TF.js) of a conv spec. */
export function buildConvNet(spec: ConvSpec, rng: Rng, prefix: string): BuiltConvNet {
  const layout = convLayout(spec);
  const built = {
    params: createParams(layout.slots, rng, prefix),
    forward: (x: Tensor2D, ws: Tensor[]) => layout.forward(tfjsOps, x, ws) as Tensor2D,
  };
  if (!spec.spectralNorm) return { ...built, forwardFixed: built.forward, release: () => {}, fixedWeights: (ws) => ws };
  const isKernel = built.params.map((p) => p.name.endsWith('/kernel'));
  const normalize = (ws: Tensor[]): Tensor[] => ws.map((w, i) => (isKernel[i] ? spectralNormalize(w) : w));
  // One cached set, keyed by the weights' data: Variable.assign (Adam, EMA, restore) gives a
  // variable new data, so updated weights never hit a stale entry.
  let cached: { key: object[]; kernels: (Tensor | null)[] } | null = null;
  const release = (): void => {
    if (cached) tf.dispose(cached.kernels.filter((k): k is Tensor => k !== null));
    cached = null;
  };
  const fixedWeights = (ws: Tensor[]): Tensor[] => {
    const key = ws.map((w) => w.dataId);
    if (!cached || cached.key.length !== key.length || cached.key.some((k, i) => k !== key[i])) {
      release();
      cached = { key, kernels: ws.map((w, i) => (isKernel[i] ? tf.keep(spectralNormalize(w)) : null)) };
    }
    // only the normalised kernels come from the cache; everything else is the caller's
    const kernels = cached.kernels;
    return ws.map((w, i) => kernels[i] ?? w);
  };
  return {
    params: built.params,
    forward: (x, ws) => built.forward(x, normalize(ws)),
    forwardFixed(x, ws) {
      return built.forward(x, fixedWeights(ws));
    },
    fixedWeights,
    release,
  };
}

/** Activation values of one image's forward pass (every layer output), for memory planning. */
export function convActivationFloats(spec: ConvSpec): number {
  if (spec.type === 'basic-resnet') return basicResNetActivationFloats(spec);
  let { height: h, width: w } = spec.image;
  let total = h * w * spec.image.channels;
  if (spec.type === 'cnn') {
    spec.channels.forEach((c, i) => {
      if (i > 0) {
        h = Math.ceil(h / 2);
        w = Math.ceil(w / 2);
      }
      total += 3 * h * w * c; // conv, mask, activation
    });
    for (const units of spec.headHidden ?? []) total += 3 * units;
    return total;
  }
  total += h * w * spec.stem;
  for (const b of spec.blocks) {
    total += 8 * h * w * b.channels; // two convs, their activations and masks, shortcut, sum
    if (b.down) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
      total += 3 * h * w * b.channels;
    }
  }
  return total;
}

/**
 * Rows per chunk so that one chunk's forward + backward stays within about `budgetFloats`
 * values (the backward roughly triples the forward's activations). The wasm heap is 4 GiB:
 * the paper's 32×32 ResNet at batch 64 does not fit in one piece.
 */
export function convChunkRows(spec: ConvSpec, budgetFloats = 256 * 2 ** 20): number {
  return Math.max(1, Math.floor(budgetFloats / (3 * convActivationFloats(spec))));
}

/** Whether fusedConvNet can take this net (checked before its weights are read or normalised). */
export function fusedConvNetApplies(spec: ConvSpec): spec is CnnSpec {
  return spec.type === 'cnn' && reluSlope(spec.activation) !== null && spec.channels.every((c) => c % 4 === 0) && fusedKernelsApply();
}

/**
 * A `cnn` net with weights `ws` (as forwardFixed uses them) on the fused CPU kernels, or null
 * where they do not apply (ResNets, smooth activations, widths not a multiple of 4, GPUs).
 */
export function fusedConvNet(spec: ConvSpec, ws: Tensor[]): FusedCnn | null {
  const slope = reluSlope(spec.activation);
  if (!fusedConvNetApplies(spec) || slope === null) return null;
  const values = ws.map((w) => w.dataSync() as Float32Array);
  let at = 0;
  let cin: number = spec.image.channels;
  const convs = spec.channels.map((cout, i) => {
    const layer = { kernel: values[at], bias: values[at + 1], size: i === 0 ? 3 : 4, stride: i === 0 ? 1 : 2, cin, cout };
    at += 2;
    cin = cout;
    return layer;
  });
  const dense = ws.slice(at).flatMap((w, j) => (j % 2 === 0 ? [{ kernel: values[at + j], bias: values[at + j + 1], fanIn: w.shape[0], fanOut: w.shape[1] ?? 1 }] : []));
  return fusedCnn(
    { height: spec.image.height, width: spec.image.width, channels: spec.image.channels, convs, head: spec.head === 'flatten' ? 'flatten' : 'mean', dense },
    slope,
  );
}
