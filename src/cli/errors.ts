/** Errors that are the user's to fix: printed as one line, exit code 2. */
import { ConfigError } from '../config/schema.js';
import { DataError } from '../data/types.js';
import { CheckpointError } from '../train/checkpoint.js';
import { EngineError } from '../engine/index.js';

export class UsageError extends Error {}

export const EXIT = { ok: 0, internal: 1, usage: 2, diverged: 3 } as const;

export function isUserError(e: unknown): e is Error {
  return (
    e instanceof UsageError ||
    e instanceof ConfigError ||
    e instanceof DataError ||
    e instanceof CheckpointError ||
    e instanceof EngineError
  );
}
