/**
 * A flow worker: its own single-threaded wasm backend, running the main thread's
 * Euler–Maruyama code (../drift.ts) on the rows it is sent, and the main thread's block
 * gradient code (../block-gradients.ts) on the training rows it is sent. Started by ./pool.ts through its
 * bootstrap, which also marks the worker dead when it exits.
 */
import { workerData, parentPort } from 'node:worker_threads';
import { tf, type Tensor } from '../../tf.js';
import { initBackend } from '../../backend.js';
import { createRatioNet, type RatioNet } from '../../../nets/ratio-net.js';
import { Rng } from '../../../util/rng.js';
import { getLoss } from '../../../losses/index.js';
import { isSnapshotStep, ratioTerm } from '../../../flow/terms.js';
import { FlowNoise, noisySteps } from '../../../flow/noise.js';
import { blockGradients } from '../block-gradients.js';
import { driftGradient, eulerMaruyama } from '../drift.js';
import {
  SIGNAL_COUNT,
  SIGNAL_STATUS,
  STATUS_READY,
  type FlowJob,
  type FlowReply,
  type GradientJob,
  type GradientReply,
  type WorkerJob,
  type WorkerInit,
} from './protocol.js';

const { port, signal } = workerData as WorkerInit;

/** Tell the (possibly blocked) main thread something changed. */
function wake(): void {
  Atomics.add(signal, SIGNAL_COUNT, 1);
  Atomics.notify(signal, SIGNAL_COUNT);
}

/** One net per spec; its own variables are never used: every job brings its weights. */
const nets = new Map<string, RatioNet>();

function netFor(spec: RatioNet['spec']): RatioNet {
  const key = JSON.stringify(spec);
  let net = nets.get(key);
  if (!net) nets.set(key, (net = createRatioNet(spec, new Rng(0), 'worker')));
  return net;
}

function gradients(job: GradientJob): GradientReply {
  const created: Tensor[] = [];
  try {
    const net = netFor(job.spec);
    const loss = getLoss(job.loss);
    const ws = job.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    created.push(...ws);
    const blocks = job.blocks.map((b) => {
      const particles = tf.tensor2d(b.particles, [b.rows, job.dim]);
      const data = tf.tensor2d(b.data, [b.rows, job.dim]);
      created.push(particles, data);
      const r = blockGradients(net, loss, particles, data, ws, b.w);
      created.push(r.value, r.meanOut, ...r.grads);
      return { value: r.value.dataSync()[0], meanOut: r.meanOut.dataSync()[0], grads: r.grads.map((g) => g.dataSync() as Float32Array) };
    });
    return { id: job.id, blocks };
  } finally {
    tf.dispose(created);
  }
}

function run(job: FlowJob): FlowReply {
  const created: Tensor[] = [];
  try {
    const terms = job.terms.map((t) => {
      const net = netFor(t.spec);
      const ws = t.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
      created.push(...ws);
      return ratioTerm(net, t.divergence, t.output, ws, t.weight);
    });
    const x0 = tf.tensor2d(job.x, [job.rows, job.dim]);
    created.push(x0);
    const every = job.trajectoryEvery ?? 0;
    const trajectory: Float32Array[] | undefined = every ? [] : undefined;
    const noise = new FlowNoise(job.noiseSeed, job.chunkRows).stepper(job.firstRow, job.rows, job.dim, noisySteps(job.settings));
    const x = eulerMaruyama(x0, driftGradient(terms), job.settings, noise, (xk, k) => {
      if (trajectory && isSnapshotStep(k, every, job.settings.steps)) trajectory.push(xk.dataSync() as Float32Array);
    });
    created.push(x);
    return { id: job.id, x: x.dataSync() as Float32Array, trajectory };
  } finally {
    tf.dispose(created);
  }
}

const ready = initBackend('wasm', { threads: 1 }).then(() => {
  Atomics.store(signal, SIGNAL_STATUS, STATUS_READY);
  wake();
});

parentPort!.on('message', (job: WorkerJob) => {
  ready
    .then(() => {
      // wasm's dataSync returns fresh copies, so their buffers can be handed over
      if (job.kind === 'gradient') {
        const reply = gradients(job);
        port.postMessage(reply, reply.blocks!.flatMap((b) => b.grads.map((g) => g.buffer as ArrayBuffer)));
        return;
      }
      const reply = run(job);
      const transfer = [reply.x!, ...(reply.trajectory ?? [])].map((a) => a.buffer as ArrayBuffer);
      port.postMessage(reply, transfer);
    })
    .catch((e: unknown) => {
      port.postMessage({ id: job.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FlowReply);
    })
    .finally(wake);
});
