/**
 * The Euler–Maruyama particle flow x ← x − η ∇ₓ Φ(x) + ν ξ, where the potential Φ is a weighted
 * sum of terms (./terms.ts: the ratio net's f′(r_θ(x)) and guidance terms such as
 * −φ log p(y|x), ./guidance.ts, not re-exported here: it reaches the classifier's file I/O, and
 * this module is also bundled for the browser). Gradients are taken w.r.t. the particles only.
 * The engine in use (src/engine/) compiles the terms and runs the steps; the noise comes from a
 * seeded, chunked source (./noise.ts), so a flow does not depend on how the engine splits it.
 */
import { activeEngine, type FlowRecording, type FlowResult, type Tensor2D } from '../engine/index.js';
import { tfjsEngine } from '../engine/tfjs/engine.js';
import type { FlowSettings, FlowTerm } from './terms.js';
import type { FlowNoise } from './noise.js';

export { ratioTerm, isSnapshotStep } from './terms.js';
export type { FlowTerm, FlowSettings, RatioTerm, ClassifierTerm, PotentialTerm } from './terms.js';
export type { FlowRecording, FlowResult } from '../engine/index.js';
export { FlowNoise, NOISE_CHUNK_ROWS, chunkSeed, noisySteps } from './noise.js';

/**
 * Runs the flow from x0 (not disposed) on the active engine (on TF.js where the engine cannot
 * compile a term). Noise comes from the chunked source `noise`, so runs are reproducible.
 * Returns a new tensor in `x`; the caller disposes it.
 */
export async function runFlow(
  x0: Tensor2D,
  terms: FlowTerm[],
  settings: FlowSettings,
  noise: FlowNoise,
  record: FlowRecording = {},
): Promise<FlowResult> {
  if (terms.length === 0) throw new Error('a flow needs at least one term');
  return (await activeEngine().flow(x0, terms, settings, noise, record)) ?? tfjsEngine.flow(x0, terms, settings, noise, record)!;
}

/** ∇ₓΦ(x) of the terms at x (x not disposed; a new tensor), on the active engine. */
export async function drift(x: Tensor2D, terms: FlowTerm[]): Promise<Tensor2D> {
  if (terms.length === 0) throw new Error('a flow needs at least one term');
  return (await activeEngine().drift(x, terms)) ?? tfjsEngine.drift(x, terms)!;
}
