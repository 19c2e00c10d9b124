/**
 * A flow worker: its own single-threaded wasm backend, running the main thread's
 * Euler–Maruyama code (../core.ts) on the rows it is sent. Started by ./pool.ts through its
 * bootstrap, which also marks the worker dead when it exits.
 */
import { workerData, parentPort } from 'node:worker_threads';
import { initEngine, tf, type Tensor } from '../../engine/index.js';
import { createRatioNet, type RatioNet } from '../../nets/ratio-net.js';
import { Rng } from '../../util/rng.js';
import { driftGradient, eulerMaruyama, isSnapshotStep, ratioTerm } from '../core.js';
import { FlowNoise } from '../noise.js';
import { SIGNAL_COUNT, SIGNAL_STATUS, STATUS_READY, type FlowJob, type FlowReply, type WorkerInit } from './protocol.js';

const { port, signal } = workerData as WorkerInit;

/** Tell the (possibly blocked) main thread something changed. */
function wake(): void {
  Atomics.add(signal, SIGNAL_COUNT, 1);
  Atomics.notify(signal, SIGNAL_COUNT);
}

/** One net per spec; its own variables are never used: every job brings its weights. */
const nets = new Map<string, RatioNet>();

function run(job: FlowJob): FlowReply {
  const created: Tensor[] = [];
  try {
    const terms = job.terms.map((t) => {
      const key = JSON.stringify(t.spec);
      let net = nets.get(key);
      if (!net) nets.set(key, (net = createRatioNet(t.spec, new Rng(0), 'worker')));
      const ws = t.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
      created.push(...ws);
      return ratioTerm(net, t.divergence, t.output, ws, t.weight);
    });
    const x0 = tf.tensor2d(job.x, [job.rows, job.dim]);
    created.push(x0);
    const every = job.trajectoryEvery ?? 0;
    const trajectory: Float32Array[] | undefined = every ? [] : undefined;
    const noise = new FlowNoise(job.noiseSeed, job.chunkRows).stepper(job.firstRow, job.rows, job.dim);
    const x = eulerMaruyama(x0, driftGradient(terms), job.settings, noise, (xk, k) => {
      if (trajectory && isSnapshotStep(k, every, job.settings.steps)) trajectory.push(xk.dataSync() as Float32Array);
    });
    created.push(x);
    return { id: job.id, x: x.dataSync() as Float32Array, trajectory };
  } finally {
    tf.dispose(created);
  }
}

const ready = initEngine('wasm', { threads: 1 }).then(() => {
  Atomics.store(signal, SIGNAL_STATUS, STATUS_READY);
  wake();
});

parentPort!.on('message', (job: FlowJob) => {
  ready
    .then(() => {
      const reply = run(job);
      // wasm's dataSync returns fresh copies, so their buffers can be handed over
      const transfer = [reply.x!, ...(reply.trajectory ?? [])].map((a) => a.buffer as ArrayBuffer);
      port.postMessage(reply, transfer);
    })
    .catch((e: unknown) => {
      port.postMessage({ id: job.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FlowReply);
    })
    .finally(wake);
});
