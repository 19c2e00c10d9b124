/**
 * `dggf export --format onnx`: a trained flow as files any ONNX runtime can sample from,
 * without dggf:
 * - ratio-net.onnx: x [n, dim] → out [n], the ratio net (log r or r, as trained; EMA weights);
 * - flow-step.onnx: x [n, dim], noise [n, dim] → x_next = x − η∇ₓf′(r(x)) + ν·noise, drift, out;
 * - prior.bin and manifest.json (./manifest.ts); examples/onnx/sample.mjs puts them together.
 * The flow runs in the standardised space: samples = x · std + mean; images are HWC in [−1, 1].
 */
import path from 'node:path';
import { onnxFlowGraphs } from '../engine/index.js';
import type { FlowModel } from '../flow/model.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { samplesText, writeManifest, type ExportManifest } from './manifest.js';

/** Writes the export of `model` (its EMA weights) to folder `out` (created if missing), every file atomically. */
export async function exportOnnx(model: FlowModel, out: string, about: { data: string; iteration: number }): Promise<ExportManifest> {
  const { config, derived } = model;
  const graphs = await onnxFlowGraphs(model.ratioTerm(false), derived.dim, config.eta, config.noise);
  const steps = config.flowSteps + config.sampleExtraSteps;
  ensureDir(out);
  const ratioNet = { file: 'ratio-net.onnx', input: 'x', output: 'out', outputIs: model.logRatioNet ? 'log-ratio' : 'ratio' } as const;
  const flowStep = { file: 'flow-step.onnx', inputs: config.noise > 0 ? ['x', 'noise'] : ['x'], outputs: ['x_next', 'drift', 'out'] };
  writeFileAtomic(path.join(out, ratioNet.file), graphs.ratioNet);
  writeFileAtomic(path.join(out, flowStep.file), graphs.flowStep);
  return writeManifest(model, out, about, {
    format: 'dggf-onnx-flow',
    ratioNet,
    flowStep,
    sampling: `draw x [n, ${derived.dim}] from the prior; ${steps} times: x = flow-step(x, noise ~ N(0, 1) [n, ${derived.dim}], zeros for the last flow.quietSteps).x_next; ${samplesText(model)}`,
  });
}
