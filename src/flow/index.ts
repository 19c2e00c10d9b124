/**
 * The Euler–Maruyama particle flow x ← x − η ∇ₓ Φ(x) + ν ξ, where the potential Φ is a weighted
 * sum of terms (the ratio net's f′(r_θ(x)); later also guidance terms such as −log p(y|x)).
 * Gradients are taken w.r.t. the particles only.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';
import type { Rng } from '../util/rng.js';
import { getDivergence, type DivergenceName, type NetOutput } from '../divergences/index.js';
import type { RatioNet } from '../nets/mlp.js';

export interface FlowTerm {
  /** Per-particle potential, shape [n] or [n, 1]. */
  potential(x: Tensor2D): Tensor;
  /** ∇ₓ of the summed potential, when the term has a faster way than autodiff. */
  gradient?(x: Tensor2D): Tensor2D;
  weight: number;
  label?: string;
}

export interface FlowSettings {
  steps: number;
  eta: number;
  noise: number;
}

export interface FlowRecording {
  /** Keep a copy of the particles every this many steps (and the first and last). */
  trajectoryEvery?: number;
  /** Per-particle log-ratio whose mean is recorded at every step (the KL estimate). */
  logRatio?: (x: Tensor2D) => Tensor;
}

export interface FlowResult {
  x: Tensor2D;
  /** Particle snapshots as row-major arrays, with their step numbers. */
  trajectory?: { step: number; points: Float32Array }[];
  /** Mean log-ratio at steps 0..K (K + 1 values). */
  kl?: number[];
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

function meanOf(t: Tensor): number {
  return tf.tidy(() => tf.mean(t)).dataSync()[0];
}

/**
 * Runs the flow from x0 (not disposed). Noise comes from `rng` so runs are reproducible.
 * Returns a new tensor; the caller disposes it.
 */
export function runFlow(
  x0: Tensor2D,
  terms: FlowTerm[],
  settings: FlowSettings,
  rng: Rng,
  record: FlowRecording = {},
): FlowResult {
  const grad = driftGradient(terms);
  const [n, dim] = x0.shape;
  const noiseBuf = new Float32Array(n * dim);
  const trajectory: { step: number; points: Float32Array }[] | undefined = record.trajectoryEvery ? [] : undefined;
  const kl: number[] | undefined = record.logRatio ? [] : undefined;
  const every = record.trajectoryEvery ?? 0;
  const observe = (x: Tensor2D, k: number): void => {
    if (trajectory && (k === 0 || k % every === 0 || k === settings.steps)) {
      trajectory.push({ step: k, points: x.dataSync().slice() as Float32Array });
    }
    if (kl && record.logRatio) {
      const logRatio = record.logRatio;
      kl.push(tf.tidy(() => meanOf(logRatio(x))));
    }
  };
  let x = tf.clone(x0);
  observe(x, 0);
  for (let k = 1; k <= settings.steps; k++) {
    const xi = settings.noise > 0 ? rng.normalArray(n * dim, noiseBuf) : null;
    const next = tf.tidy(() => {
      const stepped = tf.sub(x, tf.mul(grad(x), settings.eta));
      return (xi ? tf.add(stepped, tf.mul(tf.tensor2d(xi, [n, dim]), settings.noise)) : stepped) as Tensor2D;
    });
    x.dispose();
    x = next;
    observe(x, k);
  }
  return { x, trajectory, kl };
}
