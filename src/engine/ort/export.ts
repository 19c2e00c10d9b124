/**
 * ONNX graphs of a trained flow for use outside dggf (`dggf export --format onnx`): the ratio
 * net alone, and one Euler–Maruyama step of the flow with its drift. Weights are baked in as
 * the net computes with them (spectral normalisation applied), so each file stands alone and
 * any ONNX runtime (onnxruntime-node, onnxruntime-web, Python's onnxruntime) can run it.
 */
import type { FlowTerm } from '../../flow/terms.js';
import { netDefinition } from '../../nets/ratio-net.js';
import { loadRuntime, ortRuntime } from './runtime.js';
import { graphTerm, portableTerm } from './terms.js';
import { exportedStepProgram, outputsProgram } from './programs.js';
import { normalizedWeights } from './rows.js';

export interface OnnxFlowGraphs {
  /** x [n, dim] → out [n]: the ratio net's output (log r or r, as trained). */
  ratioNet: Uint8Array;
  /** x [n, dim], noise [n, dim] (when ν > 0) → x_next, drift [n, dim], out [n]. */
  flowStep: Uint8Array;
}

async function ensureRuntime(): Promise<void> {
  try {
    ortRuntime();
  } catch {
    await loadRuntime();
  }
}

/** The graphs of a ratio term (its weights as given: a run's EMA weights for sampling). */
export async function onnxFlowGraphs(term: FlowTerm, dim: number, eta: number, nu: number): Promise<OnnxFlowGraphs> {
  const portable = portableTerm(term);
  if (!portable || portable.kind !== 'ratio') throw new Error('onnxFlowGraphs: expected a ratio term that ONNX Runtime can compile');
  await ensureRuntime();
  const g = graphTerm(portable);
  const normalized = { ...g, weights: await normalizedWeights(g, 1) };
  return {
    ratioNet: outputsProgram(netDefinition(portable.spec), dim, portable.weights, true),
    flowStep: exportedStepProgram([normalized], dim, eta, nu),
  };
}
