/**
 * Data handed to the library as arrays (a `finiteDataset` or `makeImageDataset` built in the
 * caller's program) has no spec a later command could load it from. A run trained on it records
 * its data as `memory:NAME`; resolving that spec says what is missing instead of guessing.
 */
import { DataError } from './types.js';

const PREFIX = 'memory:';

/** The data spec a run records for a dataset given in memory. */
export function memoryDataSpec(name: string): string {
  return `${PREFIX}${name}`;
}

/** The dataset's name when `spec` is a `memory:NAME` spec, else null. */
export function memoryDataName(spec: string): string | null {
  return spec.startsWith(PREFIX) ? spec.slice(PREFIX.length) : null;
}

/** The one-line error for a command that needs the data of a run trained from memory. */
export function memoryDataMissing(spec: string, name: string): DataError {
  return new DataError(
    `dataset '${spec}': the run was trained on data given in memory (${name}), not stored with the run; ` +
      'give the data again: --data FILE|NAME (eval), or the dataset itself to trainRun (library) to train on',
  );
}
