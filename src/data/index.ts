/**
 * Dataset resolution: a spec is a toy name (`8gaussians`, `moons`, …) or a path to a CSV
 * file of points. Toy names win over a file of the same name in the working directory; write
 * `./moons` to mean the file.
 */
import { existsSync, statSync } from 'node:fs';
import type { Rng } from '../util/rng.js';
import { loadCsvPoints } from './csv.js';
import { TOY_DATASETS, TOY_DATASET_NAMES, isToyName } from './toy2d.js';
import type { ToyName } from './toy2d.js';
import { DataError } from './types.js';
import type { PointDataset } from './types.js';

export { DataError } from './types.js';
export type { PointDataset } from './types.js';
export { loadCsvPoints, parseCsvPoints, writeCsvPoints, formatFloat32 } from './csv.js';
export type { CsvPoints } from './csv.js';
export {
  TOY_DATASETS,
  TOY_DATASET_NAMES,
  isToyName,
  RING_RADII,
  eightGaussians,
  twentyFiveGaussians,
  swissRoll,
  checkerboard,
  moons,
  rings,
  pinwheel,
  twoSpirals,
} from './toy2d.js';
export type { ToyName, ToyGenerator, ToyDatasetSpec } from './toy2d.js';

export interface ResolveOptions {
  /** Required dimensionality (e.g. the one a run was trained on). */
  expectDim?: number;
}

/** A PointDataset for a toy generator. */
export function toyDataset(name: ToyName): PointDataset {
  const spec = TOY_DATASETS[name];
  const ds: PointDataset = { name, dim: 2, sample: (n, rng) => spec.generate(n, rng) };
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

function looksLikePath(spec: string): boolean {
  return /[\\/]/.test(spec) || /\.[A-Za-z0-9]+$/.test(spec);
}

/**
 * Resolve a dataset spec: a toy name, or a path to an existing file (read as CSV points).
 * Throws DataError for an unknown name (listing the known ones), a missing/bad file, or a
 * dimensionality other than `opts.expectDim`.
 */
export function resolveDataset(spec: string, opts: ResolveOptions = {}): PointDataset {
  const s = spec.trim();
  if (s === '') {
    throw new DataError(`dataset is empty, expected a toy name (${TOY_DATASET_NAMES.join(', ')}) or a CSV file path`);
  }
  let ds: PointDataset;
  if (isToyName(s)) {
    ds = toyDataset(s);
  } else if (existsSync(s) && !statSync(s).isDirectory()) {
    const { points, dim } = loadCsvPoints(s);
    ds = finiteDataset(s, points, dim);
  } else if (existsSync(s)) {
    throw new DataError(`dataset '${s}' is a directory, expected a toy name or a CSV file of points`);
  } else if (looksLikePath(s)) {
    throw new DataError(
      `dataset '${s}': file not found, expected an existing CSV file or a toy name (${TOY_DATASET_NAMES.join(', ')})`,
    );
  } else {
    const ci = TOY_DATASET_NAMES.find((n) => n.toLowerCase() === s.toLowerCase());
    const hint = ci ? ` (did you mean '${ci}'?)` : '';
    throw new DataError(
      `dataset '${s}' is neither a known toy dataset nor an existing file${hint}; ` +
        `expected one of: ${TOY_DATASET_NAMES.join(', ')}, or a path to a CSV file`,
    );
  }
  const want = opts.expectDim;
  if (want !== undefined && ds.dim !== want) {
    const what = isToyName(s) ? `dataset '${s}' is ${ds.dim}-D` : `${s} has ${ds.dim} column${ds.dim === 1 ? '' : 's'}`;
    throw new DataError(`${what}, expected ${want} (the run was trained on ${want}-D data)`);
  }
  return ds;
}
