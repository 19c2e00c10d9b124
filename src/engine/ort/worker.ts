/**
 * A worker thread of the ONNX Runtime engine (started by ./pool.ts): its own ONNX Runtime
 * sessions, running the main thread's code (./rows.ts) on the rows it is sent, one job at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadRuntime } from './runtime.js';
import { flowRows, gradientRows } from './rows.js';
import type { PoolJob, PoolReply } from './pool.js';

const ready = loadRuntime((workerData as { provider: string }).provider, 1);
let queue: Promise<void> = Promise.resolve();

parentPort!.on('message', (job: PoolJob & { id: number }) => {
  queue = queue.then(async () => {
    try {
      await ready;
      if (job.kind === 'flow') {
        const flow = await flowRows(job);
        const transfer = [flow.x, ...flow.trajectory].map((a) => a.buffer as ArrayBuffer);
        parentPort!.postMessage({ id: job.id, flow } satisfies PoolReply, transfer);
      } else {
        const gradient = await gradientRows(job);
        parentPort!.postMessage({ id: job.id, gradient } satisfies PoolReply);
      }
    } catch (e) {
      parentPort!.postMessage({ id: job.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies PoolReply);
    }
  });
});
