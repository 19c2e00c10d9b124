/**
 * The Node side of the data prior (image-to-image translation): loads the source dataset a
 * run names in `priorData` (a dataset spec: a built-in name, an image folder, an IDX file) and
 * builds a run's prior from its stored state, loading the source images for a `data` prior.
 * Kept apart from ./index.ts, which is bundled for the browser and reads no files.
 */
import type { OnProgress } from '../util/progress.js';
import { existsSync } from 'node:fs';
import { IMAGE_DATASET_NAMES, isToyName, resolveDataset, resolveImageDataset } from '../data/index.js';
import { DataError, type ImageDataset } from '../data/types.js';
import { ConfigError } from '../config/schema.js';
import { dataPrior, priorFromState, type DataPriorState, type Prior, type PriorState } from './index.js';

/**
 * The source dataset of a data prior, loaded at side length `size` when given (as the run's
 * data). Throws a DataError for a spec that cannot be loaded or that is not an image dataset.
 */
export function loadPriorSource(spec: string, opts: { size?: number; onProgress?: OnProgress } = {}): ImageDataset {
  return loadImages(spec, opts.size, `--prior-data ${spec}`, opts.onProgress);
}

/** `spec` resolved as an image dataset; errors start with `label`. */
function loadImages(spec: string, size: number | undefined, label: string, onProgress?: OnProgress): ImageDataset {
  let image;
  try {
    image = resolveImageDataset(spec, { size, onProgress });
  } catch (e) {
    if (e instanceof DataError) throw new DataError(`${label}: ${e.message}`);
    throw e;
  }
  if (image) return image;
  const expected = `expected an image dataset as the source domain (${IMAGE_DATASET_NAMES.join(', ')}, a folder of PNG/JPEG images or an IDX image file)`;
  if (!isToyName(spec.trim()) && !existsSync(spec)) throw new DataError(`${label}: not found, ${expected}`);
  let points;
  try {
    points = resolveDataset(spec);
  } catch (e) {
    if (e instanceof DataError) throw new DataError(`${label}: ${e.message}`);
    throw e;
  }
  throw new DataError(`${label} is ${points.dim}-D points, ${expected}`);
}

/**
 * The prior a stored run starts its particles from. For a data prior the source images are
 * loaded again from the spec in the state (or `loaded`, when the caller has them already);
 * a source that cannot be loaded any more is a ConfigError naming `configFile` and the spec.
 */
export function priorForRun(state: PriorState, opts: { configFile?: string; loaded?: ImageDataset; optional?: boolean } = {}): Prior {
  if (state.name !== 'data') return priorFromState(state);
  if (!opts.optional) return dataPriorFromSource(state, opts);
  try {
    return dataPriorFromSource(state, opts);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return unavailablePrior(state, e.message);
  }
}

/**
 * A data prior whose source images could not be loaded: everything but drawing from it works
 * (e.g. translating given images with `flowFrom`); drawing throws the loading error.
 */
function unavailablePrior(state: DataPriorState, reason: string): Prior {
  return {
    name: 'data',
    dim: state.dim,
    sample: () => {
      throw new ConfigError(reason);
    },
    toJSON: () => state,
  };
}

function dataPriorFromSource(state: DataPriorState, opts: { configFile?: string; loaded?: ImageDataset }): Prior {
  const where = opts.configFile ? `${opts.configFile}: ` : '';
  try {
    return dataPrior(state, opts.loaded ?? loadImages(state.source, state.size, state.source));
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new ConfigError(
      `${where}the data prior's source images (priorData '${state.source}') cannot be loaded: ${e.message}; ` +
        'restore the source the run was trained from',
    );
  }
}
