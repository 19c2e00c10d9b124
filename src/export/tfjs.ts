/**
 * `dggf export --format tfjs`: the ratio net as a TF.js layers model (model.json +
 * weights.bin, for tf.loadLayersModel), with prior.bin and manifest.json (./manifest.ts). TF.js
 * has autodiff, so the drift is tf.grad of Σ potential(model(x)), the potential given in the
 * manifest (f′ of the divergence as a function of the net's output).
 */
import path from 'node:path';
import { ratioNetLayersFiles } from '../engine/index.js';
import type { FlowModel } from '../flow/model.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { samplesText, writeManifest, type ExportManifest } from './manifest.js';

const WEIGHTS_FILE = 'weights.bin';

/** Writes the export of `model` (its EMA weights) to folder `out` (created if missing), every file atomically. */
export async function exportTfjs(model: FlowModel, out: string, about: { data: string; iteration: number }): Promise<ExportManifest> {
  const files = await ratioNetLayersFiles(model.net, model.derived.dim, model.ema.variables, WEIGHTS_FILE);
  ensureDir(out);
  writeFileAtomic(path.join(out, WEIGHTS_FILE), files.weights);
  writeFileAtomic(path.join(out, 'model.json'), files.modelJson);
  const { flowSteps, sampleExtraSteps } = model.config;
  return writeManifest(model, out, about, {
    format: 'dggf-tfjs-flow',
    ratioNet: { file: 'model.json', input: 'x', output: 'the model output [n, 1]', outputIs: model.logRatioNet ? 'log-ratio' : 'ratio' },
    sampling:
      `draw x [n, ${model.derived.dim}] from the prior; ${flowSteps + sampleExtraSteps} times: ` +
      `x = x − flow.eta · tf.grad(x ↦ Σ flow.potential(model.predict(x)))(x) + flow.noise · tf.randomNormal(x.shape) (no noise in the last flow.quietSteps); ${samplesText(model)}`,
  });
}
