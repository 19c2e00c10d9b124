/**
 * Convolutional ratio estimators for images. Inputs arrive flat ([n, H·W·C], HWC order, as the
 * flow moves them) and are reshaped here. Two families:
 * - `cnn`: conv3×3 (stride 1) → c₀, then conv4×4 stride 2 per further width, activation after
 *   each, global mean pool (or flatten), optional dense hidden layers, and dense → 1 (the small
 *   nets of our CPU presets);
 * - `resnet`: the paper's estimators: conv3×3 stem, pre-activation residual blocks (act →
 *   conv3×3 → act → conv3×3, 1×1 shortcut when the width changes), "down" blocks average-pool
 *   both paths by 2, then act, global mean pool, dense → 1.
 * Weights and biases start at U(±1/√fan_in), as PyTorch's Conv2d/Linear defaults.
 */
import { tf, fusedCnn, fusedKernelsApply, type FusedCnn, type Tensor, type Tensor2D, type Tensor4D } from '../engine/index.js';
import type { Rng } from '../util/rng.js';
import type { ImageShape } from '../data/types.js';
import type { ParamList } from './params.js';
import { activate, reluSlope, type Activation } from './mlp.js';
import { spectralNormalize } from './spectral-norm.js';

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

export type ConvSpec = CnnSpec | ResNetSpec;

interface ConvLayer {
  kernel: number;
  cin: number;
  cout: number;
  stride: number;
}

class ParamBuilder {
  readonly params: ParamList = [];
  constructor(
    private readonly rng: Rng,
    private readonly prefix: string,
  ) {}

  /** Adds kernel + bias with U(±1/√fan_in); returns their indices in the weight list. */
  add(name: string, kernelShape: number[], fanIn: number, biasSize: number): number {
    const bound = 1 / Math.sqrt(fanIn);
    const size = kernelShape.reduce((a, b) => a * b, 1);
    const w = this.rng.uniformArray(size, -bound, bound);
    const b = this.rng.uniformArray(biasSize, -bound, bound);
    const index = this.params.length;
    this.params.push({ name: `${this.prefix}/${name}/kernel`, variable: tf.tidy(() => tf.variable(tf.tensor(w, kernelShape), true)) });
    this.params.push({ name: `${this.prefix}/${name}/bias`, variable: tf.tidy(() => tf.variable(tf.tensor1d(b), true)) });
    return index;
  }

  conv(name: string, l: ConvLayer): number {
    return this.add(name, [l.kernel, l.kernel, l.cin, l.cout], l.kernel * l.kernel * l.cin, l.cout);
  }
}

function conv(x: Tensor4D, ws: Tensor[], at: number, stride: number): Tensor4D {
  return tf.add(tf.conv2d(x, ws[at] as Tensor4D, stride, 'same'), ws[at + 1]) as Tensor4D;
}

function dense(h: Tensor2D, ws: Tensor[], at: number): Tensor2D {
  return tf.add(tf.matMul(h, ws[at] as Tensor2D), ws[at + 1]) as Tensor2D;
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

/** Builds params and the forward function of a conv spec. */
export function buildConvNet(spec: ConvSpec, rng: Rng, prefix: string): BuiltConvNet {
  const built = buildLayers(spec, rng, prefix);
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

function buildLayers(
  spec: ConvSpec,
  rng: Rng,
  prefix: string,
): { params: ParamList; forward: (x: Tensor2D, ws: Tensor[]) => Tensor2D } {
  const { height, width, channels } = spec.image;
  const pb = new ParamBuilder(rng, prefix);
  const toImage = (x: Tensor2D): Tensor4D => tf.reshape(x, [x.shape[0], height, width, channels]) as Tensor4D;
  const act = (t: Tensor): Tensor4D => activate(t, spec.activation) as Tensor4D;
  const meanPool = (h: Tensor4D): Tensor2D => tf.mean(h, [1, 2]) as Tensor2D;
  const head = (h: Tensor4D, ws: Tensor[], at: number): Tensor2D => dense(meanPool(h), ws, at);

  if (spec.type === 'cnn') {
    if (spec.channels.length === 0) throw new Error('a cnn needs at least one conv layer');
    const layers: number[] = [];
    let cin: number = channels;
    spec.channels.forEach((cout, i) => {
      const kernel = i === 0 ? 3 : 4;
      layers.push(pb.conv(`conv${i}`, { kernel, cin, cout, stride: i === 0 ? 1 : 2 }));
      cin = cout;
    });
    let side = [height, width];
    for (let i = 1; i < spec.channels.length; i++) side = side.map((s) => Math.ceil(s / 2));
    const flatten = spec.head === 'flatten';
    const headIn = flatten ? side[0] * side[1] * cin : cin;
    let fanIn = headIn;
    const hidden = (spec.headHidden ?? []).map((units, i) => {
      const at = pb.add(`hidden${i}`, [fanIn, units], fanIn, units);
      fanIn = units;
      return at;
    });
    const out = pb.add('dense', [fanIn, 1], fanIn, 1);
    return {
      params: pb.params,
      forward(x, ws) {
        let h = toImage(x);
        layers.forEach((at, i) => {
          h = act(conv(h, ws, at, i === 0 ? 1 : 2));
        });
        let features = flatten ? (tf.reshape(h, [h.shape[0], headIn]) as Tensor2D) : meanPool(h);
        for (const at of hidden) features = activate(dense(features, ws, at), spec.activation) as Tensor2D;
        return dense(features, ws, out);
      },
    };
  }

  const stem = pb.conv('stem', { kernel: 3, cin: channels, cout: spec.stem, stride: 1 });
  let cin = spec.stem;
  const blocks = spec.blocks.map((b, i) => {
    const c1 = pb.conv(`block${i}/conv1`, { kernel: 3, cin, cout: b.channels, stride: 1 });
    const c2 = pb.conv(`block${i}/conv2`, { kernel: 3, cin: b.channels, cout: b.channels, stride: 1 });
    const skip = cin !== b.channels ? pb.conv(`block${i}/skip`, { kernel: 1, cin, cout: b.channels, stride: 1 }) : -1;
    cin = b.channels;
    return { c1, c2, skip, down: b.down };
  });
  const out = pb.add('dense', [cin, 1], cin, 1);
  const pool = (t: Tensor4D): Tensor4D => tf.avgPool(t, 2, 2, 'valid');
  return {
    params: pb.params,
    forward(x, ws) {
      let h = conv(toImage(x), ws, stem, 1);
      for (const b of blocks) {
        let r = conv(act(h), ws, b.c1, 1);
        r = conv(act(r), ws, b.c2, 1);
        let s = b.skip >= 0 ? conv(h, ws, b.skip, 1) : h;
        if (b.down) {
          r = pool(r);
          s = pool(s);
        }
        h = tf.add(s, r) as Tensor4D;
      }
      return head(act(h), ws, out);
    },
  };
}

/** Activation values of one image's forward pass (every layer output), for memory planning. */
export function convActivationFloats(spec: ConvSpec): number {
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
