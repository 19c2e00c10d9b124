/**
 * Worker threads for the ONNX Runtime engine. On a CPU, splitting a batch by particle between
 * threads, each running its own one-thread sessions (./rows.ts), measured about twice as fast
 * as one session with a pool of threads: our graphs are many small ops, and every op of a
 * pooled session wakes and joins its threads. The main thread does one share of the work, the
 * workers the others.
 *
 * Workers start lazily and are unref'd while idle, so they never keep the process alive. A
 * worker that fails makes the pool stop for good (with one warning); its share is redone on
 * the main thread.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../module-worker.js';
import { runtimeInfo } from './runtime.js';
import type { FlowRowsJob, FlowRowsResult, GradientRowsJob, GradientRowsResult } from './rows.js';

export type PoolJob = ({ kind: 'flow' } & FlowRowsJob) | ({ kind: 'gradient' } & GradientRowsJob);
export type PoolReply = { id: number; error?: string; flow?: FlowRowsResult; gradient?: GradientRowsResult };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: PoolReply) => void; reject: (e: Error) => void }>;
}

let slots: Slot[] = [];
let disabled = false;
let nextId = 1;
let done = 0;

function spawn(): Slot {
  const { provider } = runtimeInfo();
  const worker = startModuleWorker(import.meta.url, 'worker', { provider });
  const slot: Slot = { worker, pending: new Map() };
  const failAll = (e: Error): void => {
    for (const p of slot.pending.values()) p.reject(e);
    slot.pending.clear();
  };
  worker.on('message', (reply: PoolReply) => {
    if (reply.id === 0) return failAll(new Error(`worker failed to load: ${reply.error}`));
    const p = slot.pending.get(reply.id);
    if (!p) return;
    slot.pending.delete(reply.id);
    if (slot.pending.size === 0) worker.unref();
    if (reply.error) p.reject(new Error(`worker failed: ${reply.error}`));
    else p.resolve(reply);
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', () => failAll(new Error('worker exited')));
  worker.unref();
  return slot;
}

/** Workers to use now (started if needed), or none where they are off. */
export function poolWorkers(count: number): number {
  if (disabled || count < 1) return 0;
  while (slots.length < count) slots.push(spawn());
  return count;
}

function disable(e: Error): void {
  if (disabled) return;
  disabled = true;
  process.emitWarning(`ONNX Runtime worker threads disabled (the work continues on the main thread): ${e.message}`);
  void stopOrtWorkers();
}

/** Runs `job` in worker `index`; on a worker failure, `fallback` (the same job here) instead. */
export async function inWorker<R>(index: number, job: PoolJob, pick: (r: PoolReply) => R, fallback: () => Promise<R>): Promise<R> {
  const slot = slots[index];
  if (disabled || !slot) return fallback();
  const id = nextId++;
  const reply = new Promise<PoolReply>((resolve, reject) => slot.pending.set(id, { resolve, reject }));
  slot.worker.ref(); // a pending reply keeps the process alive
  slot.worker.postMessage({ id, ...job });
  try {
    const result = pick(await reply);
    done++;
    return result;
  } catch (e) {
    disable(e as Error);
    return fallback();
  }
}

/** Terminates the workers (a later split starts new ones). */
export async function stopOrtWorkers(): Promise<void> {
  const old = slots;
  slots = [];
  await Promise.all(old.map((s) => s.worker.terminate()));
}

/** Jobs the workers have done so far (tests). */
export function ortWorkerJobs(): number {
  return done;
}
