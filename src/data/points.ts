/**
 * Point datasets without file access (safe in the browser): a toy generator, or a finite
 * point set drawn with replacement (a CSV's rows, points drawn in the playground).
 */
import type { Rng } from '../util/rng.js';
import { TOY_DATASETS, type ToyName } from './toy2d.js';
import { DataError, type PointDataset } from './types.js';

/** A PointDataset for a toy generator. */
export function toyDataset(name: ToyName): PointDataset {
  const spec = TOY_DATASETS[name];
  const ds: PointDataset = { name, dim: 2, sample: (n, rng) => spec.generate(n, rng), support: spec.support };
  if (spec.modes) ds.modes = spec.modes;
  if (spec.modeStd !== undefined) ds.modeStd = spec.modeStd;
  return ds;
}

/** A PointDataset over a finite point set: rows drawn uniformly with replacement. */
export function finiteDataset(name: string, points: Float32Array, dim: number): PointDataset {
  if (!Number.isInteger(dim) || dim < 1 || points.length === 0 || points.length % dim !== 0) {
    throw new DataError(`${name}: ${points.length} values with dim ${dim}, expected a non-empty whole number of rows`);
  }
  const rows = points.length / dim;
  return {
    name,
    dim,
    points,
    sample(n: number, rng: Rng): Float32Array {
      if (!Number.isInteger(n) || n < 0) {
        throw new RangeError(`${name}: n is ${n}, expected a non-negative integer`);
      }
      const out = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const r = rng.int(rows);
        out.set(points.subarray(r * dim, (r + 1) * dim), i * dim);
      }
      return out;
    },
  };
}
