/**
 * The 2-D (any-dim) ratio estimator: in → h, act, depth × (h → h, act), h → 1, as in the
 * authors' toy MLP. Initialised like PyTorch's nn.Linear (U(±1/√fan_in) for weights and bias)
 * from our seeded RNG.
 */
import { tf, fusedMlp, tfjsOps, type FusedMlp, type Tensor, type Tensor2D, type TensorOps } from '../engine/index.js';
import type { Rng } from '../util/rng.js';
import { activation, reluSlope, type Activation } from './activations.js';
import type { ParamList } from './params.js';
import type { MlpSpec, RatioNet } from './interfaces.js';

export { ACTIVATIONS, type Activation } from './activations.js';
export type { MlpSpec } from './interfaces.js';

export interface MlpNet extends RatioNet {
  spec: MlpSpec;
  /**
   * The net with `weights` (default: its variables) read now, as a FusedMlp on our own wasm
   * kernels, or null where they do not apply (GPU backend, smooth activation, turned off).
   */
  fused(weights?: Tensor[]): FusedMlp | null;
}

export function layerSizes(spec: MlpSpec): [number, number][] {
  const sizes: [number, number][] = [[spec.inputDim, spec.hidden]];
  for (let i = 0; i < spec.depth; i++) sizes.push([spec.hidden, spec.hidden]);
  sizes.push([spec.hidden, 1]);
  return sizes;
}

/** The MLP's output [n, 1] for x [n, inputDim] with weights `ws` (kernel, bias per layer), on any engine. */
export function mlpForward<T>(ops: TensorOps<T>, spec: MlpSpec, x: T, ws: T[]): T {
  const layers = ws.length / 2;
  let h = x;
  for (let i = 0; i < layers; i++) {
    h = ops.dense(h, ws[2 * i], ws[2 * i + 1]);
    if (i < layers - 1) h = activation(ops, h, spec.activation);
  }
  return h;
}

export function createMlp(spec: MlpSpec, rng: Rng, prefix = 'mlp'): MlpNet {
  const params: ParamList = [];
  layerSizes(spec).forEach(([fanIn, fanOut], i) => {
    const bound = 1 / Math.sqrt(fanIn);
    const w = rng.uniformArray(fanIn * fanOut, -bound, bound);
    const b = rng.uniformArray(fanOut, -bound, bound);
    // inside tidy: the initial tensors are freed, the variables kept
    params.push({ name: `${prefix}/dense${i}/kernel`, variable: tf.tidy(() => tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true)) });
    params.push({ name: `${prefix}/dense${i}/bias`, variable: tf.tidy(() => tf.variable(tf.tensor1d(b), true)) });
  });
  const nLayers = params.length / 2;
  const slope = reluSlope(spec.activation);
  const fused = (weights?: Tensor[]): FusedMlp | null => {
    const ws = weights ?? params.map((p) => p.variable);
    return fusedMlp(
      layerSizes(spec).map(([fanIn, fanOut], i) => ({
        fanIn,
        fanOut,
        kernel: ws[2 * i].dataSync() as Float32Array,
        bias: ws[2 * i + 1].dataSync() as Float32Array,
      })),
      slope,
    );
  };
  return {
    spec,
    params,
    forward: (ops, x, ws) => mlpForward(ops, spec, x, ws),
    normalizeWeights: (_ops, ws) => ws,
    apply: (x, weights) => mlpForward(tfjsOps, spec, x, weights ?? params.map((p) => p.variable)) as Tensor2D,
    inputGradient:
      slope !== null
        ? (x, dPhi, weights) => {
          const ws = weights ?? params.map((p) => p.variable);
          // forward: keep each layer's mask step(z, slope), which is also act′(z)
          const masks: Tensor[] = [];
          let h: Tensor2D = x;
          for (let i = 0; i < nLayers - 1; i++) {
            const z = tf.fused.matMul({ a: h, b: ws[2 * i] as Tensor2D, bias: ws[2 * i + 1] });
            const mask = tf.step(z, slope);
            masks.push(mask);
            h = tf.mul(z, mask);
          }
          const out = tf.add(tf.matMul(h, ws[2 * nLayers - 2] as Tensor2D), ws[2 * nLayers - 1]);
          // backward w.r.t. the input only: g ← (g ⊙ act′) Wᵀ, layer by layer
          let g: Tensor = tf.matMul(dPhi(out) as Tensor2D, ws[2 * nLayers - 2] as Tensor2D, false, true);
          for (let i = nLayers - 2; i >= 0; i--) {
            g = tf.matMul(tf.mul(g, masks[i]) as Tensor2D, ws[2 * i] as Tensor2D, false, true);
          }
          return g as Tensor2D;
        }
      : undefined,
    fused,
    fusedTraining(weights) {
      const net = fused(weights);
      if (!net) return null;
      return {
        forward: (x, rows) => net.forward(x, rows),
        gradients: (dOut) =>
          net.parameterGradients(dOut).flatMap((layer, i) => [
            tf.tensor(layer.kernel, weights[2 * i].shape, 'float32'),
            tf.tensor(layer.bias, weights[2 * i + 1].shape, 'float32'),
          ]),
      };
    },
    dispose() {
      for (const p of params) p.variable.dispose();
    },
  };
}
