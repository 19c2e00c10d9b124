/**
 * How many threads the engines use: ONNX Runtime's intra-op pool, or the TF.js engine's
 * particle-parallel flow (the main thread plus worker threads, each with its own
 * single-threaded wasm backend; see ./tfjs/parallel/). Set by initEngine's `threads` option,
 * else DGGF_THREADS, else each engine's default (TF.js: min(2, available cores): on the 2-core
 * machines we target, more threads than cores only add switching).
 */
import os from 'node:os';
import { isMainThread } from 'node:worker_threads';

let configured: number | undefined;

function parse(value: unknown, what: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`${what} must be an integer from 1 to 256, got '${String(value)}'`);
  }
  return n;
}

/** Set the thread count (undefined keeps the current setting); checks DGGF_THREADS too. */
export function configureThreads(threads?: number): void {
  if (threads !== undefined) configured = parse(threads, 'threads');
  const env = process.env.DGGF_THREADS;
  if (env !== undefined && env !== '') parse(env, 'DGGF_THREADS'); // a bad value fails at engine start
}

/** The thread count set by initEngine's `threads` or DGGF_THREADS, or undefined (each engine's default). */
export function configuredThreads(): number | undefined {
  if (configured !== undefined) return configured;
  const env = process.env.DGGF_THREADS;
  return env !== undefined && env !== '' ? parse(env, 'DGGF_THREADS') : undefined;
}

/** Threads for the particle-parallel flow (1 inside a worker: workers never nest). */
export function flowThreads(): number {
  if (!isMainThread) return 1;
  return configuredThreads() ?? Math.min(2, os.availableParallelism());
}
