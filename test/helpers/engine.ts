/** Test helpers: run a computation on a named engine/backend and read the result back as arrays. */
import { initEngine, tf } from '../../src/engine/index.js';

export type EngineBackend = 'wasm' | 'cpu' | 'webgpu';

/** `fn` on the TF.js engine with backend `name`. */
export async function onBackend<T>(name: EngineBackend, fn: () => T | Promise<T>): Promise<T> {
  await initEngine(name, { engine: 'tfjs' });
  return fn();
}

/** The engines a test of the method runs on: TF.js on cpu (the float32 reference) and wasm, and ONNX Runtime. */
export const ENGINE_SETUPS = [
  { label: 'tfjs/cpu', backend: 'cpu', engine: 'tfjs' },
  { label: 'tfjs/wasm', backend: 'wasm', engine: 'tfjs' },
  { label: 'ort', backend: 'wasm', engine: 'ort' },
] as const;

export type EngineSetup = (typeof ENGINE_SETUPS)[number];

export async function useEngine(setup: EngineSetup): Promise<void> {
  await initEngine(setup.backend, { engine: setup.engine });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export { tf };
