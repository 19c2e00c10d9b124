/**
 * How the CLI ends: errors that are the user's to fix are printed as one line with exit code 2;
 * an output that cannot be written (full disk, read-only file system) as one line with code 4.
 */
import { ConfigError } from '../config/schema.js';
import { DataError } from '../data/types.js';
import { CheckpointError } from '../train/checkpoint.js';
import { EngineError } from '../engine/index.js';
import { FileWriteError } from '../util/file-error.js';

export class UsageError extends Error {}

/**
 * 0 ok, 1 internal error, 2 bad input, 3 training diverged (NaN/Inf or a loss explosion), 4 an
 * output could not be written; a run stopped by a signal exits 128 + its number (SIGINT 130,
 * SIGTERM 143, SIGHUP 129).
 */
export const EXIT = { ok: 0, internal: 1, usage: 2, diverged: 3, write: 4 } as const;

export const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export function isUserError(e: unknown): e is Error {
  return (
    e instanceof UsageError ||
    e instanceof ConfigError ||
    e instanceof DataError ||
    e instanceof CheckpointError ||
    e instanceof EngineError
  );
}

/** The exit code and one-line message of an error the CLI reports without a stack, or null. */
export function reportedError(e: unknown): { code: number; line: string } | null {
  if (e instanceof FileWriteError) return { code: EXIT.write, line: oneLine(e.message) };
  if (isUserError(e)) return { code: EXIT.usage, line: oneLine(e.message) };
  return null;
}

/** Messages are sentences on one line: line breaks (e.g. from a library's message) become spaces. */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
