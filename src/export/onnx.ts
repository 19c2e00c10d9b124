/**
 * `dggf export --format onnx`: a trained flow as files any ONNX runtime can sample from,
 * without dggf:
 * - ratio-net.onnx: x [n, dim] → out [n], the ratio net (log r or r, as trained; EMA weights);
 * - flow-step.onnx: x [n, dim], noise [n, dim] → x_next = x − η∇ₓf′(r(x)) + ν·noise, drift, out;
 * - prior.bin: the data-dependent prior's arrays (float32, little-endian), when it has any;
 * - manifest.json: shapes, the step size, noise and step count, the prior, the standardisation
 *   of the data, and how to put them together (examples/onnx/sample.mjs does it in ~80 lines).
 * The flow runs in the standardised space: samples = x · std + mean; images are HWC in [−1, 1].
 */
import path from 'node:path';
import { onnxFlowGraphs } from '../engine/index.js';
import type { FlowModel } from '../flow/model.js';
import type { PriorState } from '../priors/index.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { PACKAGE_VERSION } from '../util/version.js';

export const ONNX_EXPORT_FORMAT = 'dggf-onnx-flow';
export const ONNX_EXPORT_VERSION = 1;

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
  | { name: 'data'; source: string; about: string };

export interface OnnxManifest {
  format: typeof ONNX_EXPORT_FORMAT;
  formatVersion: number;
  dggf: string;
  exportedAt: string;
  run: { data: string; iteration: number; divergence: string; loss: string; net: unknown };
  dim: number;
  image: { height: number; width: number; channels: number; layout: 'HWC'; range: [-1, 1] } | null;
  normalizer: { mean: number[]; std: number[] };
  ratioNet: { file: string; input: 'x'; output: 'out'; outputIs: 'log-ratio' | 'ratio' };
  flowStep: { file: string; inputs: string[]; outputs: string[]; eta: number; noise: number; steps: number };
  prior: ExportedPrior;
  sampling: string;
}

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
  }
}

function concat(arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  const bytes = new Uint8Array(all.buffer);
  // prior.bin is little-endian whatever the machine
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  }
  return bytes;
}

/**
 * Writes the export of `model` (its EMA weights) to folder `out` (created if missing); every
 * file is written atomically. Returns the manifest.
 */
export async function exportOnnx(model: FlowModel, out: string, about: { data: string; iteration: number }): Promise<OnnxManifest> {
  const { config, derived } = model;
  const graphs = await onnxFlowGraphs(model.ratioTerm(false), derived.dim, config.eta, config.noise);
  const { prior, arrays } = exportedPrior(model.prior.toJSON());
  const steps = config.flowSteps + config.sampleExtraSteps;
  const manifest: OnnxManifest = {
    format: ONNX_EXPORT_FORMAT,
    formatVersion: ONNX_EXPORT_VERSION,
    dggf: PACKAGE_VERSION,
    exportedAt: new Date().toISOString(),
    run: { data: about.data, iteration: about.iteration, divergence: config.divergence, loss: config.loss, net: config.net },
    dim: derived.dim,
    image: derived.image ? { ...derived.image, layout: 'HWC', range: [-1, 1] } : null,
    normalizer: { mean: [...derived.normalizer.mean], std: [...derived.normalizer.std] },
    ratioNet: { file: 'ratio-net.onnx', input: 'x', output: 'out', outputIs: model.logRatioNet ? 'log-ratio' : 'ratio' },
    flowStep: {
      file: 'flow-step.onnx',
      inputs: config.noise > 0 ? ['x', 'noise'] : ['x'],
      outputs: ['x_next', 'drift', 'out'],
      eta: config.eta,
      noise: config.noise,
      steps,
    },
    prior,
    sampling:
      `draw x [n, ${derived.dim}] from the prior; ${steps} times: x = flow-step(x, noise ~ N(0, 1) [n, ${derived.dim}]).x_next; ` +
      (derived.image ? 'clamp to [−1, 1]: each row is an HWC image' : 'samples = x · normalizer.std + normalizer.mean (per coordinate)'),
  };
  ensureDir(out);
  writeFileAtomic(path.join(out, manifest.ratioNet.file), graphs.ratioNet);
  writeFileAtomic(path.join(out, manifest.flowStep.file), graphs.flowStep);
  if (arrays.length) writeFileAtomic(path.join(out, 'prior.bin'), concat(arrays));
  writeFileAtomic(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
