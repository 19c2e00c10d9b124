/** Test helpers: run a computation on a named backend and read the result back as arrays. */
import { initEngine, tf } from '../../src/engine/index.js';

export type EngineBackend = 'wasm' | 'cpu' | 'webgpu';

export async function onBackend<T>(name: EngineBackend, fn: () => T | Promise<T>): Promise<T> {
  await initEngine(name);
  return fn();
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
