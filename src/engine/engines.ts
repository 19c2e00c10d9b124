/**
 * Which engine runs flows, net outputs and training steps (./engine.ts): ONNX Runtime (./ort/)
 * where it loads, else TF.js (./tfjs/), or as asked by `--engine` / DGGF_ENGINE. The TF.js
 * backend is started either way: the rest of the library (priors, classifiers, metrics) and
 * the flows ONNX Runtime cannot compile (a TF.js potential) run on it.
 */
import { activeBackend, initBackend, EngineError, type BackendName, type EngineOptions } from './backend.js';
import { ENGINES, type Engine, type EngineChoice, type EngineName } from './engine.js';
import { tfjsEngine } from './tfjs/engine.js';

let active: Engine = tfjsEngine;
let unavailable: string | null = null;

/** The engine in use (TF.js until initEngine picks another). */
export function activeEngine(): Engine {
  return active;
}

/**
 * Throws, saying what to do, when no engine was started: without initEngine TF.js would fall
 * back to its pure-JS backend (many times slower) and print its banner.
 */
export function requireEngine(what: string): void {
  if (activeBackend() === null) {
    throw new EngineError(`${what}: call \`await initEngine()\` first (it starts ONNX Runtime, or TF.js on WebAssembly where ONNX Runtime cannot load); see the README, "Using the library"`);
  }
}

/** Why ONNX Runtime is not in use under `auto`, if it is not (for `dggf info`). */
export function ortUnavailableReason(): string | null {
  return unavailable;
}

async function ortEngine(): Promise<Engine> {
  const { loadRuntime } = await import('./ort/runtime.js');
  await loadRuntime();
  return (await import('./ort/engine.js')).ortEngine;
}

/**
 * Start the engine once per process: the TF.js backend `backend` (default DGGF_BACKEND or
 * auto), and the engine `opts.engine` (default DGGF_ENGINE or auto: ONNX Runtime where it
 * loads, TF.js where not, or where the TF.js backend asked for is a GPU's). Returns the TF.js
 * backend in use.
 */
export async function initEngine(backend?: string, opts: EngineOptions = {}): Promise<BackendName> {
  const wanted = (opts.engine ?? process.env.DGGF_ENGINE ?? 'auto') as EngineChoice;
  if (!ENGINES.includes(wanted)) throw new EngineError(`unknown engine '${wanted}' (expected one of ${ENGINES.join(', ')})`);
  const name = await initBackend(backend, opts);
  const choice: EngineName = wanted === 'auto' ? (name === 'webgpu' || name === 'node' ? 'tfjs' : 'ort') : wanted;
  if (choice === 'tfjs') {
    active = tfjsEngine;
    return name;
  }
  try {
    active = await ortEngine();
    unavailable = null;
  } catch (e) {
    if (wanted === 'ort') throw new EngineError(`engine 'ort': ${(e as Error).message}`);
    unavailable = (e as Error).message;
    active = tfjsEngine;
  }
  return name;
}

/**
 * ONNX graphs of a ratio term for use outside dggf (the ratio net; one flow step with its
 * drift), weights baked in. Loads ONNX Runtime if no engine did: it normalises the weights.
 */
export async function onnxFlowGraphs(...args: Parameters<typeof import('./ort/export.js').onnxFlowGraphs>): ReturnType<typeof import('./ort/export.js').onnxFlowGraphs> {
  return (await import('./ort/export.js')).onnxFlowGraphs(...args);
}
