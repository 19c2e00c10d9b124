/**
 * The pieces of the flow shared by the main thread and the flow workers (src/flow/parallel/):
 * flow terms, the drift ∇ₓΦ, and the Euler–Maruyama loop itself. Both sides run exactly this
 * code, so a particle's path depends only on its rows, the weights and its noise chunk.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';
import { getDivergence, type DivergenceName, type NetOutput } from '../divergences/index.js';
import type { MlpSpec, RatioNet } from '../nets/mlp.js';

/** A flow term that a worker thread can rebuild from plain data (an MLP ratio term). */
export interface PortableTerm {
  kind: 'mlp-ratio';
  spec: MlpSpec;
  /** The weights used, in the net's parameter order. */
  weights: { values: Float32Array; shape: number[] }[];
  divergence: DivergenceName;
  output: NetOutput;
  weight: number;
}

export interface FlowTerm {
  /** Per-particle potential, shape [n] or [n, 1]. */
  potential(x: Tensor2D): Tensor;
  /** ∇ₓ of the summed potential, when the term has a faster way than autodiff. */
  gradient?(x: Tensor2D): Tensor2D;
  weight: number;
  label?: string;
  /**
   * A snapshot of the term as plain data (weights read now), for the particle-parallel flow.
   * Terms without it (e.g. guidance by a classifier) keep the flow on the main thread.
   */
  portable?(): PortableTerm;
}

export interface FlowSettings {
  steps: number;
  eta: number;
  noise: number;
}

/** f′(r_θ(x)) as a flow term, evaluated with `weights` (e.g. the EMA copy) if given. */
export function ratioTerm(
  net: RatioNet,
  divergence: DivergenceName,
  output: NetOutput,
  weights?: Tensor[],
  weight = 1,
): FlowTerm {
  const d = getDivergence(divergence);
  const fast = net.inputGradient;
  return {
    potential: (x) => d.fPrimeOfOutput(net.apply(x, weights), output),
    gradient: fast ? (x) => fast(x, (out) => d.fPrimeSlope(out, output), weights) : undefined,
    weight,
    label: `f′ ${d.label}`,
    portable: () => ({
      kind: 'mlp-ratio',
      spec: net.spec,
      weights: (weights ?? net.params.map((p) => p.variable)).map((w) => ({
        values: w.dataSync() as Float32Array,
        shape: w.shape.slice(),
      })),
      divergence,
      output,
      weight,
    }),
  };
}

/** ∇ₓ of the summed weighted potential, per particle: [n, dim]. */
export function driftGradient(terms: FlowTerm[]): (x: Tensor2D) => Tensor2D {
  if (terms.length === 0) throw new Error('a flow needs at least one term');
  const weighted = (t: Tensor, w: number): Tensor => (w === 1 ? t : tf.mul(t, w));
  const direct = terms.filter((t) => t.gradient);
  const viaAutodiff = terms.filter((t) => !t.gradient);
  const autodiff = viaAutodiff.length
    ? tf.grad((x: Tensor) =>
        viaAutodiff
          .map((t) => weighted(tf.sum(t.potential(x as Tensor2D)), t.weight))
          .reduce((a, b) => tf.add(a, b)),
      )
    : null;
  return (x) => {
    const parts = direct.map((t) => weighted(t.gradient!(x), t.weight));
    if (autodiff) parts.push(autodiff(x));
    return parts.reduce((a, b) => tf.add(a, b)) as Tensor2D;
  };
}

/** Is step k one whose particles a trajectory keeps (every `every` steps, the first and last)? */
export function isSnapshotStep(k: number, every: number, steps: number): boolean {
  return k === 0 || k % every === 0 || k === steps;
}

/**
 * `settings.steps` steps of x ← x − η ∇ₓΦ(x) + ν ξ from x0 (not disposed). `nextNoise` gives
 * each step's ξ (rows × dim), or is null when ν = 0; `observe` sees x after steps 0..K.
 * Returns a new tensor.
 */
export function eulerMaruyama(
  x0: Tensor2D,
  grad: (x: Tensor2D) => Tensor2D,
  settings: FlowSettings,
  nextNoise: (() => Float32Array) | null,
  observe?: (x: Tensor2D, k: number) => void,
): Tensor2D {
  const shape = x0.shape;
  let x = tf.clone(x0);
  observe?.(x, 0);
  for (let k = 1; k <= settings.steps; k++) {
    const xi = settings.noise > 0 && nextNoise ? nextNoise() : null;
    const next = tf.tidy(() => {
      const stepped = tf.sub(x, tf.mul(grad(x), settings.eta));
      return (xi ? tf.add(stepped, tf.mul(tf.tensor2d(xi, shape), settings.noise)) : stepped) as Tensor2D;
    });
    x.dispose();
    x = next;
    observe?.(x, k);
  }
  return x;
}
