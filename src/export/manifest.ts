/**
 * What every export of a trained flow carries besides its graphs (src/export/onnx.ts,
 * src/export/tfjs.ts): manifest.json (shapes, the flow's settings, the prior, the data's
 * standardisation, how they fit together) and prior.bin (the data-dependent prior's arrays).
 */
import path from 'node:path';
import type { FlowModel } from '../flow/model.js';
import type { PriorState } from '../priors/index.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { PACKAGE_VERSION } from '../util/version.js';

export const EXPORT_VERSION = 1;

/** An array inside prior.bin: `offset` and `length` in float32 values, row-major `shape`. */
export interface BinaryArray {
  offset: number;
  length: number;
  shape: number[];
}

export type ExportedPrior =
  | { name: 'gaussian'; about: string }
  | { name: 'uniform'; low: -1; high: 1; about: string }
  | { name: 'data-gaussian'; file: string; mean: BinaryArray; chol: BinaryArray; clamp: boolean; about: string }
  | { name: 'data-gaussian'; file: string; mean: BinaryArray; factor: BinaryArray; diagStd: BinaryArray; clamp: boolean; about: string }
  | { name: 'data-gmm'; file: string; weights: BinaryArray; means: BinaryArray; chols: BinaryArray; about: string }
  | { name: 'data-gmm'; file: string; weights: BinaryArray; means: BinaryArray; factors: BinaryArray; diagStds: BinaryArray; clamp: boolean; about: string }
  | { name: 'data'; source: string; about: string };

export interface ExportManifest {
  format: 'dggf-onnx-flow' | 'dggf-tfjs-flow';
  formatVersion: number;
  dggf: string;
  exportedAt: string;
  run: { data: string; iteration: number; divergence: string; loss: string; net: unknown };
  dim: number;
  image: { height: number; width: number; channels: number; layout: 'HWC'; range: [-1, 1] } | null;
  normalizer: { mean: number[]; std: number[] };
  /** The ratio net: x [n, dim] → out (log r or r, as trained). */
  ratioNet: { file: string; input: 'x'; output: string; outputIs: 'log-ratio' | 'ratio' };
  /** One step: x ← x − eta · ∇ₓ Σ potential(out(x)) + noise · ξ, ξ ~ N(0, I); `steps` of them, the last `quietSteps` with ξ = 0. */
  flow: { eta: number; noise: number; steps: number; quietSteps: number; potential: string };
  /** ONNX: the step as a graph. */
  flowStep?: { file: string; inputs: string[]; outputs: string[] };
  prior: ExportedPrior;
  sampling: string;
}

/** f′(r(x)) as a function of the net's output `out`, up to a constant (the drift is its gradient). */
export const POTENTIAL: Record<string, Partial<Record<'log-ratio' | 'ratio', string>>> = {
  kl: { 'log-ratio': 'out' },
  chi2: { ratio: '2·out', 'log-ratio': '2·exp(out)' },
  js: { 'log-ratio': 'log σ(out) = −softplus(−out)' },
  logd: { 'log-ratio': 'softplus(out)' },
};

/** The prior's description and its arrays for prior.bin. */
function exportedPrior(state: PriorState): { prior: ExportedPrior; arrays: Float32Array[] } {
  const arrays: Float32Array[] = [];
  let offset = 0;
  const put = (values: ArrayLike<number>, shape: number[]): BinaryArray => {
    const a = Float32Array.from(values);
    arrays.push(a);
    const at = { offset, length: a.length, shape };
    offset += a.length;
    return at;
  };
  const d = state.dim;
  switch (state.name) {
    case 'gaussian':
      return { prior: { name: 'gaussian', about: 'x₀ ~ N(0, I)' }, arrays };
    case 'uniform':
      return { prior: { name: 'uniform', low: -1, high: 1, about: 'x₀ ~ U(−1, 1) per coordinate' }, arrays };
    case 'data':
      return {
        prior: { name: 'data', source: state.source, about: `image-to-image translation: x₀ are source-domain images (${state.source}), HWC in [−1, 1], flattened` },
        arrays,
      };
    case 'data-gaussian': {
      const clamp = Boolean(state.clamp);
      const clampText = clamp ? ', then clamped to [−1, 1]' : '';
      if ('chol' in state) {
        const mean = put(state.mean, [d]);
        const chol = put(state.chol, [d, d]);
        return { prior: { name: 'data-gaussian', file: 'prior.bin', mean, chol, clamp, about: `x₀ = mean + L·z, z ~ N(0, I), L lower triangular${clampText}` }, arrays };
      }
      const mean = put(state.mean, [d]);
      const factor = put(state.factor, [d, state.rank]);
      const diagStd = put(state.diagStd, [d]);
      return {
        prior: { name: 'data-gaussian', file: 'prior.bin', mean, factor, diagStd, clamp, about: `x₀ = mean + W·z + diagStd ⊙ e, z ~ N(0, I_rank), e ~ N(0, I)${clampText}` },
        arrays,
      };
    }
    case 'data-gmm': {
      const k = state.weights.length;
      const weights = put(state.weights, [k]);
      const means = put(state.means, [k, d]);
      const pick = 'per particle, one uniform u picks the first component c whose cumulative weight exceeds u·Σweights (all n picks first), ';
      if ('chols' in state) {
        const chols = put(state.chols, [k, d, d]);
        const about = pick + 'then x₀ = means[c] + L_c·z, z ~ N(0, I), L_c = chols[c] lower triangular';
        return { prior: { name: 'data-gmm', file: 'prior.bin', weights, means, chols, about }, arrays };
      }
      const factors = put(state.factors, [k, d, state.rank]);
      const diagStds = put(state.diagStds, [k, d]);
      const clamp = Boolean(state.clamp);
      const about =
        pick +
        'then all n·rank normals z, then all n·dim normals e: x₀ = means[c] + W_c·z + diagStds[c] ⊙ e, W_c = factors[c] (dim×rank)' +
        (clamp ? ', then clamped to [−1, 1]' : '');
      return { prior: { name: 'data-gmm', file: 'prior.bin', weights, means, factors, diagStds, clamp, about }, arrays };
    }
  }
}

/** float32 values as little-endian bytes, whatever the machine. */
function littleEndian(arrays: Float32Array[]): Uint8Array {
  const all = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  const bytes = new Uint8Array(all.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  }
  return bytes;
}

/**
 * Writes prior.bin (when the prior has arrays) and manifest.json into `out` (which exists),
 * atomically; `parts` are the format's own fields.
 */
export function writeManifest(
  model: FlowModel,
  out: string,
  about: { data: string; iteration: number },
  parts: Pick<ExportManifest, 'format' | 'ratioNet' | 'flowStep' | 'sampling'>,
): ExportManifest {
  const { config, derived } = model;
  const { prior, arrays } = exportedPrior(model.prior.toJSON());
  const steps = config.flowSteps + config.sampleExtraSteps;
  const outputIs = model.logRatioNet ? 'log-ratio' : 'ratio';
  const potential = POTENTIAL[config.divergence]?.[outputIs];
  if (!potential) throw new Error(`export: no potential for divergence '${config.divergence}' with ${outputIs} outputs`);
  const manifest: ExportManifest = {
    format: parts.format,
    formatVersion: EXPORT_VERSION,
    dggf: PACKAGE_VERSION,
    exportedAt: new Date().toISOString(),
    run: { data: about.data, iteration: about.iteration, divergence: config.divergence, loss: config.loss, net: config.net },
    dim: derived.dim,
    image: derived.image ? { ...derived.image, layout: 'HWC', range: [-1, 1] } : null,
    normalizer: { mean: [...derived.normalizer.mean], std: [...derived.normalizer.std] },
    ratioNet: parts.ratioNet,
    flow: { eta: config.eta, noise: config.noise, steps, quietSteps: Math.min(steps, config.sampleQuietSteps ?? 0), potential },
    ...(parts.flowStep ? { flowStep: parts.flowStep } : {}),
    prior,
    sampling: parts.sampling,
  };
  if (arrays.length) writeFileAtomic(path.join(out, 'prior.bin'), littleEndian(arrays));
  writeFileAtomic(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** The end of every sampling recipe: from the flowed x to samples. */
export function samplesText(model: FlowModel): string {
  return model.derived.image ? 'clamp to [−1, 1]: each row is an HWC image' : 'samples = x · normalizer.std + normalizer.mean (per coordinate)';
}
