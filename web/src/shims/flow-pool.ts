/**
 * The page's stand-in for src/engine/tfjs/parallel/pool.ts (substituted by web/vite.config.ts). The
 * particle-parallel flow uses Node worker threads; a page has none of those, so every flow
 * takes the TF.js engine's main-thread path — the same Euler–Maruyama code (src/engine/tfjs/drift.ts) — and
 * gives the same result as the split one; training steps compute their gradient blocks in
 * order on the page's thread, as with one thread in Node.
 */
import type * as Pool from '../../../src/engine/tfjs/parallel/pool.js';

export const PARALLEL_MIN_ROWS = 512;
export function setParallelMinRows(_rows?: number): void {}
export function startFlowWorkers(_count?: number): number {
  return 0;
}
export async function stopFlowWorkers(): Promise<void> {}
export function flowWorkerCount(): number {
  return 0;
}
/** Always null: the caller flows on its own thread. */
export function parallelFlow(): null {
  return null;
}
/** Always null: the caller computes the gradient blocks itself. */
export function parallelGradients(): null {
  return null;
}
export function gradientBlocksInWorkers(): number {
  return 0;
}

// keep this stand-in in step with the real module's exports
({
  PARALLEL_MIN_ROWS,
  setParallelMinRows,
  startFlowWorkers,
  stopFlowWorkers,
  flowWorkerCount,
  parallelFlow,
  parallelGradients,
  gradientBlocksInWorkers,
}) satisfies typeof Pool;
