/**
 * f-divergences of the functional F(q) = ∫p f(q/p): f for reference and f′ as a function of the
 * ratio net's output. The flow's potential is f′(r_θ(x)) (constants dropped).
 */
import { tf, tfjsOps, type Tensor, type TensorOps } from '../engine/index.js';

export const DIVERGENCES = ['kl', 'js', 'logd', 'chi2'] as const;
export type DivergenceName = (typeof DIVERGENCES)[number];

/** What the ratio net outputs: r itself (LSIF) or s = log r (LR, KL losses). */
export type NetOutput = 'ratio' | 'log-ratio';

export interface Divergence {
  name: DivergenceName;
  label: string;
  /** f(r), for reference and tests. */
  f(r: number): number;
  /** f′(r) with constants dropped, as used for the drift potential. */
  fPrime(r: number): number;
  /** f′ of the net outputs, on any engine (the flow's potential per particle). */
  fPrimeOf<T>(ops: TensorOps<T>, out: T, output: NetOutput): T;
  /** f′ applied to a tensor of net outputs (TF.js). */
  fPrimeOfOutput(out: Tensor, output: NetOutput): Tensor;
  /** d f′(out) / d out, elementwise (for hand-written input gradients). */
  fPrimeSlope(out: Tensor, output: NetOutput): Tensor;
  /** The same slope for one output value (the fused CPU kernels' drift). */
  fPrimeSlopeAt(out: number, output: NetOutput): number;
  /** Which net outputs this divergence can be driven by. */
  outputs: readonly NetOutput[];
}

const softplus = (s: number): number => (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s)));

const chi2: Divergence = {
  name: 'chi2',
  label: 'Pearson χ²',
  f: (r) => (r - 1) ** 2,
  fPrime: (r) => 2 * r,
  fPrimeOf: (ops, out, output) => ops.scale(output === 'ratio' ? out : ops.exp(out), 2),
  fPrimeOfOutput: (out, output) => chi2.fPrimeOf(tfjsOps, out, output),
  fPrimeSlope: (out, output) => (output === 'ratio' ? tf.fill(out.shape, 2) : tf.mul(2, tf.exp(out))),
  fPrimeSlopeAt: (out, output) => (output === 'ratio' ? 2 : 2 * Math.exp(out)),
  outputs: ['ratio', 'log-ratio'],
};

const kl: Divergence = {
  name: 'kl',
  label: 'KL',
  f: (r) => r * Math.log(r),
  fPrime: (r) => Math.log(r),
  fPrimeOf: (_ops, out) => out,
  fPrimeOfOutput: (out) => out,
  fPrimeSlope: (out) => tf.onesLike(out),
  fPrimeSlopeAt: () => 1,
  outputs: ['log-ratio'],
};

const js: Divergence = {
  name: 'js',
  label: 'Jensen–Shannon',
  f: (r) => r * Math.log(r) - (r + 1) * Math.log((r + 1) / 2),
  fPrime: (r) => Math.log(r / (1 + r)),
  // log σ(s) = −softplus(−s)
  fPrimeOf: (ops, out) => ops.neg(ops.softplus(ops.neg(out))),
  fPrimeOfOutput: (out) => js.fPrimeOf(tfjsOps, out, 'log-ratio'),
  // d/ds log σ(s) = σ(−s)
  fPrimeSlope: (out) => tf.sigmoid(tf.neg(out)),
  fPrimeSlopeAt: (out) => 1 / (1 + Math.exp(out)),
  outputs: ['log-ratio'],
};

const logd: Divergence = {
  name: 'logd',
  label: 'logD',
  f: (r) => (r + 1) * Math.log(r + 1) - 2 * Math.log(2),
  fPrime: (r) => softplus(Math.log(r)),
  fPrimeOf: (ops, out) => ops.softplus(out),
  fPrimeOfOutput: (out) => tf.softplus(out),
  fPrimeSlope: (out) => tf.sigmoid(out),
  fPrimeSlopeAt: (out) => 1 / (1 + Math.exp(-out)),
  outputs: ['log-ratio'],
};

const TABLE: Record<DivergenceName, Divergence> = { chi2, kl, js, logd };

export function getDivergence(name: DivergenceName): Divergence {
  const d = TABLE[name];
  if (!d) throw new Error(`unknown divergence '${name}' (expected one of ${DIVERGENCES.join(', ')})`);
  return d;
}
