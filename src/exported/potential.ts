/**
 * f′(r(x)) as a function of the ratio net's output, for each divergence an export can carry
 * (manifest.run.divergence, manifest.ratioNet.outputIs): the flow's drift is its gradient.
 * The same functions as src/divergences' fPrimeOf (test/unit/browser-entry.test.ts compares
 * them), written against the few ops they need so that they run on any TF.js, without the
 * Node engine that src/divergences loads.
 */
import type { TensorOps } from '../engine/tensor-ops.js';
import { ExportReadError } from './manifest.js';

export type PotentialOps<T> = Pick<TensorOps<T>, 'scale' | 'exp' | 'neg' | 'softplus'>;
export type Potential = <T>(ops: PotentialOps<T>, out: T) => T;

const POTENTIALS: Record<string, Potential> = {
  'kl/log-ratio': (_ops, out) => out,
  'chi2/ratio': (ops, out) => ops.scale(out, 2),
  'chi2/log-ratio': (ops, out) => ops.scale(ops.exp(out), 2),
  'js/log-ratio': (ops, out) => ops.neg(ops.softplus(ops.neg(out))),
  'logd/log-ratio': (ops, out) => ops.softplus(out),
};

/** The divergence/output pairs that have a potential. */
export const POTENTIAL_KEYS = Object.keys(POTENTIALS);

export function potentialFor(divergence: string, outputIs: string): Potential {
  const p = POTENTIALS[`${divergence}/${outputIs}`];
  if (!p) throw new ExportReadError(`manifest.json: run.divergence '${divergence}' with ${outputIs} outputs: no potential known (expected one of ${POTENTIAL_KEYS.join(', ')})`);
  return p;
}
