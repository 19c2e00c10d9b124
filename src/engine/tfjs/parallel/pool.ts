/**
 * Particle-parallel flows: the batch is cut at noise-chunk boundaries into one contiguous
 * slice per thread; the main thread flows the first slice itself while worker threads (each
 * with its own single-threaded wasm backend) flow the others, then it blocks until their rows
 * come back. All K steps run without synchronisation: particles do not interact.
 *
 * The pool starts lazily, once per process, with flowThreads() − 1 workers, which are unref'd
 * so they never keep the process alive. A worker that fails makes the pool fall back to the
 * main thread for good (with one warning); its rows are redone there with the same noise.
 */
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { startModuleWorker } from '../../module-worker.js';
import { joinSlices, sliceBounds, sliceRows } from '../../row-split.js';
import { tf, type Tensor, type Tensor2D } from '../../tf.js';
import { activeBackend } from '../../backend.js';
import { flowThreads } from '../../threads.js';
import type { RatioNet } from '../../../nets/ratio-net.js';
import type { RatioLoss } from '../../../losses/index.js';
import { isSnapshotStep, type FlowSettings } from '../../../flow/terms.js';
import type { FlowNoise } from '../../../flow/noise.js';
import { blocksInOrder, disposeBlocks, type BlockGradients } from '../block-gradients.js';
import { compiledDrift, eulerMaruyama, type TfjsTerm } from '../drift.js';
import {
  SIGNAL_COUNT,
  SIGNAL_STATUS,
  STATUS_DEAD,
  STATUS_STARTING,
  type FlowJob,
  type FlowReply,
  type GradientJob,
  type GradientReply,
  type WorkerReply,
} from './protocol.js';

/**
 * Smallest batch worth splitting. Each step costs ~0.7 ms of op overhead whatever the rows,
 * so small halves gain little, and two busy threads slow each other on the 2-vCPU VM.
 * Measured there (MLP 64×3, 1 → 2 threads): flow alone, K 40: 129 rows 0.99x, 256 rows
 * 1.0–1.3x, 512 rows 1.3–1.7x, 1024 rows 1.6–1.9x; `dggf train` wall time: batch 256 and
 * 384 no clear gain (±10% noise), batch 512 1.3x, paper-toy (1024, K 200) 1.4–1.6x.
 */
export const PARALLEL_MIN_ROWS = 512;
let minRows = PARALLEL_MIN_ROWS;

/** Change the smallest batch that is split (tests and benchmarks; default PARALLEL_MIN_ROWS). */
export function setParallelMinRows(rows = PARALLEL_MIN_ROWS): void {
  minRows = rows;
}

/** How long a starting worker may take to load TF.js and wasm before we give up on it. */
const STARTUP_TIMEOUT_MS = 120_000;
/** Longest a worker may stay silent on one job (large sampling jobs run for minutes). */
const JOB_TIMEOUT_MS = 30 * 60_000;

interface Slot {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

let slots: Slot[] = [];
let disabled = false;
let nextJobId = 1;

/** Marks the worker dead for a main thread blocked on it, whatever ends it. */
const ON_EXIT = `
const { signal } = workerData;
process.on('exit', () => {
  Atomics.store(signal, ${SIGNAL_STATUS}, ${STATUS_DEAD});
  Atomics.add(signal, ${SIGNAL_COUNT}, 1);
  Atomics.notify(signal, ${SIGNAL_COUNT});
});
`;

function spawn(): Slot {
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const worker = startModuleWorker(import.meta.url, 'worker', { port: port2, signal }, { preamble: ON_EXIT, transferList: [port2] });
  // A worker dying while nobody waits must not become an uncaught error in the main thread.
  worker.on('error', () => Atomics.store(signal, SIGNAL_STATUS, STATUS_DEAD));
  worker.on('exit', () => Atomics.store(signal, SIGNAL_STATUS, STATUS_DEAD));
  worker.unref();
  port1.unref();
  return { worker, port: port1, signal };
}

/**
 * Start the flow workers now (non-blocking) rather than at the first flow, e.g. while the
 * caller prepares data. Returns the number of workers. No-op in workers and when disabled.
 */
export function startFlowWorkers(count = flowThreads() - 1): number {
  if (!isMainThread || disabled || activeBackend() !== 'wasm') return 0;
  while (slots.length < count) slots.push(spawn());
  return slots.length;
}

/** Terminate the workers (a later parallel flow starts new ones). */
export async function stopFlowWorkers(): Promise<void> {
  const old = slots;
  slots = [];
  await Promise.all(old.map((s) => s.worker.terminate()));
  for (const s of old) s.port.close();
}

/** Workers currently started. */
export function flowWorkerCount(): number {
  return slots.length;
}

/** Blocks until the worker's reply to job `id` arrives; throws if the worker fails. */
function awaitReply<R extends WorkerReply>(slot: Slot, id: number): R {
  const t0 = Date.now();
  // a flow job is seconds of work at most; a silent worker past this is treated as dead
  const deadline = t0 + JOB_TIMEOUT_MS;
  for (;;) {
    // read the counter before draining: a reply posted after this read changes it, so the
    // wait below cannot miss it
    const seen = Atomics.load(slot.signal, SIGNAL_COUNT);
    for (let m = receiveMessageOnPort(slot.port); m; m = receiveMessageOnPort(slot.port)) {
      const reply = m.message as R;
      if (reply.id === 0) throw new Error(`worker failed to load: ${reply.error}`);
      if (reply.id !== id) continue; // a stale reply (an earlier job that failed on our side)
      if (reply.error) throw new Error(`worker failed: ${reply.error}`);
      return reply;
    }
    const status = Atomics.load(slot.signal, SIGNAL_STATUS);
    if (status === STATUS_DEAD) throw new Error('worker exited');
    if (status === STATUS_STARTING && Date.now() - t0 > STARTUP_TIMEOUT_MS) throw new Error('worker did not start');
    if (Date.now() > deadline) throw new Error(`worker did not reply within ${JOB_TIMEOUT_MS / 1000} s`);
    Atomics.wait(slot.signal, SIGNAL_COUNT, seen, 1000);
  }
}

function disable(e: unknown): void {
  disabled = true;
  process.emitWarning(`worker threads disabled (flows and training steps continue on the main thread): ${(e as Error).message ?? e}`);
  void stopFlowWorkers();
}

/**
 * The flow split across threads, or null where it does not apply (one thread, a backend other
 * than wasm, a term that cannot be sent to a worker, a batch below PARALLEL_MIN_ROWS or one
 * noise chunk). Same result as the main-thread path given the same noise.
 */
export function parallelFlow(
  x0: Tensor2D,
  terms: TfjsTerm[],
  settings: FlowSettings,
  noise: FlowNoise,
  trajectoryEvery?: number,
): { x: Tensor2D; trajectory?: { step: number; points: Float32Array }[] } | null {
  const threads = flowThreads();
  if (!isMainThread || disabled || threads < 2 || activeBackend() !== 'wasm') return null;
  if (!terms.every((t) => t.portable)) return null;
  const [n, dim] = x0.shape;
  const chunks = Math.ceil(n / noise.chunkRows);
  const heavy = terms.some((t) => t.heavy);
  if ((n < minRows && !heavy) || chunks < 2) return null;
  const parts = Math.min(threads, chunks);
  try {
    startFlowWorkers(parts - 1);
  } catch (e) {
    disable(e); // e.g. run from TypeScript without tsx installed
    return null;
  }

  // contiguous whole-chunk slices; slice 0 stays on the main thread
  const bounds = sliceBounds(n, noise.chunkRows, parts);
  const all = x0.dataSync() as Float32Array;
  const portable = terms.map((t) => t.portable!());
  const jobs: { slot: Slot; id: number; from: number; to: number }[] = [];
  for (let p = 1; p < parts; p++) {
    const job: FlowJob = { ...sliceRows(all, bounds, p, dim, settings, noise, trajectoryEvery), kind: 'flow', id: nextJobId++, terms: portable };
    const slot = slots[p - 1];
    slot.worker.postMessage(job, [job.x.buffer as ArrayBuffer]);
    jobs.push({ slot, id: job.id, from: bounds[p], to: bounds[p + 1] });
  }

  // Runs rows [from, to) here, returning their final values and snapshots.
  const every = trajectoryEvery ?? 0;
  const grad = compiledDrift(terms);
  const runHere = (from: number, to: number): { x: Float32Array; trajectory: Float32Array[] } => {
    const snaps: Float32Array[] = [];
    const start = tf.tensor2d(all.subarray(from * dim, to * dim), [to - from, dim]);
    const x = eulerMaruyama(start, grad, settings, noise.stepper(from, to - from, dim), (xk, k) => {
      if (every && isSnapshotStep(k, every, settings.steps)) snaps.push(xk.dataSync().slice() as Float32Array);
    });
    const out = x.dataSync() as Float32Array;
    tf.dispose([start, x]);
    return { x: out, trajectory: snaps };
  };

  const pieces = [runHere(bounds[0], bounds[1])];
  for (const { slot, id, from, to } of jobs) {
    // once one worker failed, disable() has terminated the others, which then never reply:
    // redo their rows here instead of waiting for them
    if (disabled) {
      pieces.push(runHere(from, to));
      continue;
    }
    try {
      const reply = awaitReply<FlowReply>(slot, id);
      pieces.push({ x: reply.x!, trajectory: reply.trajectory ?? [] });
    } catch (e) {
      if (!disabled) disable(e);
      pieces.push(runHere(from, to)); // same rows, same noise chunks: same result
    }
  }

  const joined = joinSlices(pieces, bounds, dim, settings, trajectoryEvery);
  return { x: tf.tensor2d(joined.x, [n, dim]), trajectory: joined.trajectory };
}

let workerGradientBlocks = 0;

/** Training-gradient blocks computed by workers so far (tests and benchmarks). */
export function gradientBlocksInWorkers(): number {
  return workerGradientBlocks;
}

/**
 * The row blocks of a training step's gradient shared between threads: contiguous groups of
 * blocks, the first on the main thread (`here`), the others in workers, results in block
 * order. Null where it does not apply (one thread, a backend other than wasm, fewer than two
 * blocks). Same results as `here` on every block, since both run the same code.
 */
export function parallelGradients(
  net: RatioNet,
  loss: RatioLoss,
  particles: Tensor2D,
  data: Tensor2D,
  weights: Tensor[],
  blocks: [number, number][],
  here: (block: number) => BlockGradients,
): BlockGradients[] | null {
  const threads = flowThreads();
  if (!isMainThread || disabled || threads < 2 || activeBackend() !== 'wasm' || blocks.length < 2) return null;
  const parts = Math.min(threads, blocks.length);
  try {
    startFlowWorkers(parts - 1);
  } catch (e) {
    disable(e);
    return null;
  }
  const [n, dim] = particles.shape;
  const groups = Array.from({ length: parts + 1 }, (_, p) => Math.floor((p * blocks.length) / parts));
  const nu = particles.dataSync() as Float32Array;
  const de = data.dataSync() as Float32Array;
  const ws = weights.map((w) => ({ values: w.dataSync() as Float32Array, shape: w.shape.slice() }));
  const jobs: { slot: Slot; id: number; first: number; last: number }[] = [];
  for (let p = 1; p < parts; p++) {
    const mine = blocks.slice(groups[p], groups[p + 1]);
    const job: GradientJob = {
      kind: 'gradient',
      id: nextJobId++,
      spec: net.spec,
      loss: loss.name,
      weights: ws,
      dim,
      blocks: mine.map(([from, to]) => ({
        particles: nu.slice(from * dim, to * dim),
        data: de.slice(from * dim, to * dim),
        rows: to - from,
        w: (to - from) / n,
      })),
    };
    const slot = slots[p - 1];
    slot.worker.postMessage(job, job.blocks.flatMap((b) => [b.particles.buffer as ArrayBuffer, b.data.buffer as ArrayBuffer]));
    jobs.push({ slot, id: job.id, first: groups[p], last: groups[p + 1] });
  }
  const results = blocksInOrder(groups[1] - groups[0], (b) => here(groups[0] + b));
  try {
    collect(results, jobs, weights, here);
  } catch (e) {
    disposeBlocks(results);
    throw e;
  }
  return results;
}

/** Appends the workers' blocks to `results` in order, redoing here those of a failed worker. */
function collect(
  results: BlockGradients[],
  jobs: { slot: Slot; id: number; first: number; last: number }[],
  weights: Tensor[],
  here: (block: number) => BlockGradients,
): void {
  for (const { slot, id, first, last } of jobs) {
    let reply: GradientReply | null = null;
    if (!disabled) {
      try {
        reply = awaitReply<GradientReply>(slot, id);
      } catch (e) {
        if (!disabled) disable(e);
      }
    }
    for (let b = first; b < last; b++) {
      const r = reply?.blocks?.[b - first];
      if (!r) {
        results.push(here(b)); // a failed worker: the same block here gives the same result
        continue;
      }
      workerGradientBlocks++;
      results.push({
        value: tf.scalar(r.value),
        meanOut: tf.scalar(r.meanOut),
        grads: r.grads.map((g, i) => tf.tensor(g, weights[i].shape, 'float32')),
      });
    }
  }
}
