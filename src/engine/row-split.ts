/**
 * Splitting a flow's particles between threads, shared by both engines' worker pools: the
 * rows go in contiguous slices of whole noise chunks (so each thread draws exactly the noise a
 * single thread would for its rows), and the slices' results are put back together.
 */
import { snapshotSteps, type FlowSettings } from '../flow/terms.js';

/** What a thread needs to flow its rows, besides the terms (each engine sends its own form). */
export interface FlowRows {
  /** This thread's particles, rows × dim, row-major; rows [firstRow, firstRow + rows) of the batch. */
  x: Float32Array;
  rows: number;
  dim: number;
  firstRow: number;
  settings: FlowSettings;
  noiseSeed: number;
  chunkRows: number;
  trajectoryEvery?: number;
}

/** What the thread flowing slice p of `all` (rows between bounds[p] and bounds[p + 1]) needs. */
export function sliceRows(
  all: Float32Array,
  bounds: number[],
  p: number,
  dim: number,
  settings: FlowSettings,
  noise: { seed: number; chunkRows: number },
  trajectoryEvery: number | undefined,
): FlowRows {
  return {
    x: all.slice(bounds[p] * dim, bounds[p + 1] * dim),
    rows: bounds[p + 1] - bounds[p],
    dim,
    firstRow: bounds[p],
    settings,
    noiseSeed: noise.seed,
    chunkRows: noise.chunkRows,
    trajectoryEvery,
  };
}

/** Row bounds of `parts` contiguous slices of n rows in whole chunks (bounds[p] to bounds[p + 1]). */
export function sliceBounds(n: number, chunkRows: number, parts: number): number[] {
  const chunks = Math.ceil(n / chunkRows);
  return Array.from({ length: parts + 1 }, (_, p) => Math.min(n, Math.floor((p * chunks) / parts) * chunkRows));
}

/** The slices' final rows, and their snapshots at the trajectory steps, joined into the batch's. */
export function joinSlices(
  pieces: { x: Float32Array; trajectory: Float32Array[] }[],
  bounds: number[],
  dim: number,
  settings: FlowSettings,
  trajectoryEvery: number | undefined,
): { x: Float32Array; trajectory?: { step: number; points: Float32Array }[] } {
  const n = bounds[bounds.length - 1];
  const x = new Float32Array(n * dim);
  pieces.forEach((piece, p) => x.set(piece.x, bounds[p] * dim));
  if (!trajectoryEvery) return { x };
  const trajectory = snapshotSteps(settings.steps, trajectoryEvery).map((step, i) => {
    const points = new Float32Array(n * dim);
    pieces.forEach((piece, p) => points.set(piece.trajectory[i], bounds[p] * dim));
    return { step, points };
  });
  return { x, trajectory };
}
