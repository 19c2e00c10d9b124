/**
 * Bregman density-ratio losses. Numerator samples are the flowed particles x̃ (from q),
 * denominator samples the data x (from p); the minimiser is r = q/p.
 */
import { tfjsOps, type Tensor, type TensorOps } from '../engine/index.js';
import { getDivergence, type DivergenceName, type NetOutput } from '../divergences/index.js';
import { LOSS_AT_EQUALITY } from './equality.js';

export { LOSS_AT_EQUALITY } from './equality.js';

export const LOSSES = ['lsif', 'lr', 'kl'] as const;
export type LossName = (typeof LOSSES)[number];

export interface RatioLoss {
  name: LossName;
  label: string;
  /** The net output this loss trains. */
  output: NetOutput;
  /** The loss from net outputs on particles (numerator) and data (denominator), on any engine: a scalar. */
  of<T>(ops: TensorOps<T>, outParticles: T, outData: T): T;
  /** The same on TF.js tensors. */
  compute(outParticles: Tensor, outData: Tensor): Tensor;
  /** The same loss on plain numbers, for tests. */
  computeScalar(outParticles: number[], outData: number[]): number;
  /** Its value when q = p (r = 1 everywhere): the reference level of a training curve. */
  atEquality: number;
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
const softplus = (s: number): number => (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s)));

const lsif: RatioLoss = {
  name: 'lsif',
  label: 'LSIF',
  output: 'ratio',
  of: (ops, nu, de) => ops.sub(ops.mean(ops.scale(ops.square(de), 0.5)), ops.mean(nu)),
  compute: (nu, de) => lsif.of(tfjsOps, nu, de),
  computeScalar: (nu, de) => mean(de.map((r) => 0.5 * r * r)) - mean(nu),
  atEquality: LOSS_AT_EQUALITY.lsif,
};

const lr: RatioLoss = {
  name: 'lr',
  label: 'LR (logistic)',
  output: 'log-ratio',
  of: (ops, nu, de) => ops.add(ops.mean(ops.softplus(de)), ops.mean(ops.softplus(ops.neg(nu)))),
  compute: (nu, de) => lr.of(tfjsOps, nu, de),
  computeScalar: (nu, de) => mean(de.map(softplus)) + mean(nu.map((s) => softplus(-s))),
  atEquality: LOSS_AT_EQUALITY.lr,
};

const klLoss: RatioLoss = {
  name: 'kl',
  label: 'KL (KLIEP form)',
  output: 'log-ratio',
  of: (ops, nu, de) => ops.sub(ops.mean(ops.exp(de)), ops.mean(nu)),
  compute: (nu, de) => klLoss.of(tfjsOps, nu, de),
  computeScalar: (nu, de) => mean(de.map(Math.exp)) - mean(nu),
  atEquality: LOSS_AT_EQUALITY.kl,
};

const TABLE: Record<LossName, RatioLoss> = { lsif, lr, kl: klLoss };

export function getLoss(name: LossName): RatioLoss {
  const l = TABLE[name];
  if (!l) throw new Error(`unknown loss '${name}' (expected one of ${LOSSES.join(', ')})`);
  return l;
}

/**
 * Checks that a loss (which fixes what the net outputs) can drive a divergence's f′.
 * Returns null when valid, else a sentence saying why not and what would work.
 */
export function pairingProblem(loss: LossName, divergence: DivergenceName): string | null {
  const l = getLoss(loss);
  const d = getDivergence(divergence);
  if (d.outputs.includes(l.output)) return null;
  const ok = LOSSES.filter((n) => d.outputs.includes(getLoss(n).output));
  return (
    `loss '${loss}' trains a net that outputs r, which can be ≤ 0, but divergence '${divergence}' needs ` +
    `f′(r) = ${d.label === 'KL' ? 'log r' : d.label === 'logD' ? 'log(1+r)' : 'log(r/(1+r))'}; ` +
    `use --loss ${ok.join('|')} with --divergence ${divergence}, or --divergence chi2 with --loss lsif`
  );
}
