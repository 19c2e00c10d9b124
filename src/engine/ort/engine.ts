/**
 * The ONNX Runtime engine: flows, net outputs and training gradients as graphs
 * (./programs.ts) run by cached sessions (./sessions.ts). On a CPU a batch is split by
 * particle between the main thread and worker threads (./pool.ts), each running the same code
 * on its rows (./rows.ts) with one-thread sessions; on a GPU it runs whole. The flow's noise
 * still comes from our seeded, chunked source (src/flow/noise.ts), drawn by whichever thread
 * flows the rows, so a run is as reproducible and resumable as on the TF.js engine.
 *
 * A training step is always the weighted sum of the same two row blocks, computed in one
 * thread or two, so its result does not depend on the thread count.
 */
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { tf, type Tensor, type Tensor2D } from '../tf.js';
import type { Engine, FlowRecording, FlowResult, TrainingGradients } from '../engine.js';
import type { FlowSettings, FlowTerm } from '../../flow/terms.js';
import { joinSlices, sliceBounds, sliceRows } from '../row-split.js';
import type { FlowNoise } from '../../flow/noise.js';
import type { RatioNet } from '../../nets/ratio-net.js';
import type { RatioLoss } from '../../losses/index.js';
import { createSession, floatTensor, runtimeInfo } from './runtime.js';
import { graphTerm, portableTerm, readWeights, type PortableTerm } from './terms.js';
import { driftProgram, weightName } from './programs.js';
import { flowRows, gradientRows, netOutputs, type FlowRowsResult, type GradientRowsResult } from './rows.js';
import { inWorker, poolWorkers } from './pool.js';

/** Rows of a training batch below which its two blocks run on one thread (not worth a message). */
const MIN_SPLIT_ROWS = 16;

function portableTerms(terms: FlowTerm[]): PortableTerm[] | null {
  const out: PortableTerm[] = [];
  for (const term of terms) {
    const p = portableTerm(term);
    if (!p) return null;
    out.push(p);
  }
  return out;
}

/** How many threads share a batch of `units` independent pieces, and the intra-op threads of each. */
function split(units: number): { parts: number; threads: number } {
  const { provider, threads } = runtimeInfo();
  if (provider !== 'cpu') return { parts: 1, threads };
  const parts = Math.max(1, Math.min(threads, units));
  return { parts, threads: Math.max(1, Math.floor(threads / parts)) };
}

function flow(x0: Tensor2D, terms: FlowTerm[], settings: FlowSettings, noise: FlowNoise, record: FlowRecording): Promise<FlowResult> | null {
  const portable = portableTerms(terms);
  if (!portable) return null;
  return runFlow(x0, portable, settings, noise, record);
}

async function runFlow(x0: Tensor2D, terms: PortableTerm[], settings: FlowSettings, noise: FlowNoise, record: FlowRecording): Promise<FlowResult> {
  if (record.meanOutput && terms[0]?.kind !== 'ratio') throw new Error('runFlow: meanOutput needs a ratio term first');
  const [n, dim] = x0.shape;
  const all = (await x0.data()) as Float32Array;
  const { parts, threads } = split(Math.ceil(n / noise.chunkRows));
  // contiguous whole-chunk slices; slice 0 stays on the main thread
  const bounds = sliceBounds(n, noise.chunkRows, parts);
  const workers = poolWorkers(parts - 1);
  const pieces = await Promise.all(
    Array.from({ length: parts }, (_, p) => {
      const job = { ...sliceRows(all, bounds, p, dim, settings, noise, record.trajectoryEvery), terms, meanOutput: Boolean(record.meanOutput), threads };
      const here = (): Promise<FlowRowsResult> => flowRows(job);
      return p === 0 || p > workers ? here() : inWorker(p - 1, { kind: 'flow', ...job }, (r) => r.flow!, here);
    }),
  );
  const joined = joinSlices(pieces, bounds, dim, settings, record.trajectoryEvery);
  const result: FlowResult = { x: tf.tensor2d(joined.x, [n, dim]) };
  if (joined.trajectory) result.trajectory = joined.trajectory;
  if (record.meanOutput) {
    result.meanOutputs = Array.from({ length: settings.steps + 1 }, (_, k) => pieces.reduce((s, piece) => s + piece.sums![k], 0) / n);
  }
  return result;
}

async function outputs(net: RatioNet, weights: Tensor[] | undefined, x: Tensor2D): Promise<Float32Array> {
  const [n, dim] = x.shape;
  const ws = readWeights(weights ?? net.params.map((p) => p.variable));
  return netOutputs(net.spec, ws, (await x.data()) as Float32Array, n, dim, runtimeInfo().threads);
}

async function trainingGradients(net: RatioNet, loss: RatioLoss, particles: Tensor2D, data: Tensor2D): Promise<TrainingGradients> {
  const [n, dim] = particles.shape;
  if (data.shape[0] !== n) throw new Error(`trainingGradients: ${n} particles but ${data.shape[0]} data rows (the blocks split both alike)`);
  const weights = readWeights(net.params.map((p) => p.variable));
  const nu = (await particles.data()) as Float32Array;
  const de = (await data.data()) as Float32Array;
  // two blocks whatever the thread count (one for a single row)
  const blocks = n >= 2 ? 2 : 1;
  const bounds = Array.from({ length: blocks + 1 }, (_, b) => Math.floor((b * n) / blocks));
  const { parts, threads } = n >= MIN_SPLIT_ROWS ? split(blocks) : { parts: 1, threads: runtimeInfo().threads };
  const workers = poolWorkers(parts - 1);
  const jobs = Array.from({ length: blocks }, (_, b) => {
    const rows = bounds[b + 1] - bounds[b];
    return {
      spec: net.spec,
      loss: loss.name,
      weights,
      particles: nu.slice(bounds[b] * dim, bounds[b + 1] * dim),
      data: de.slice(bounds[b] * dim, bounds[b + 1] * dim),
      rows,
      dataRows: rows,
      dim,
      threads,
    };
  });
  const results: GradientRowsResult[] =
    parts > 1 && workers > 0
      ? await Promise.all(jobs.map((job, b) => (b === 0 ? gradientRows(job) : inWorker(b - 1, { kind: 'gradient', ...job }, (r) => r.gradient!, () => gradientRows(job)))))
      : await jobs.reduce<Promise<GradientRowsResult[]>>(async (acc, job) => [...(await acc), await gradientRows(job)], Promise.resolve([]));
  // the batch's loss is the blocks' weighted by their share of the rows (means over rows)
  const share = jobs.map((j) => j.rows / n);
  let value = 0;
  let outSum = 0;
  const sums = weights.map((w) => new Float32Array(w.data.length));
  results.forEach((r, b) => {
    value += share[b] * r.loss;
    outSum += r.outSum;
    r.grads.forEach((g, i) => {
      const s = sums[i];
      const w = Math.fround(share[b]);
      for (let k = 0; k < g.length; k++) s[k] = Math.fround(s[k] + Math.fround(w * g[k]));
    });
  });
  let sq = 0;
  for (const s of sums) for (const v of s) sq += v * v;
  return {
    loss: value,
    meanOut: outSum / n,
    gradNorm: Math.sqrt(sq),
    grads: sums.map((s, i) => tf.tensor(s, weights[i].shape, 'float32')),
  };
}

function drift(x: Tensor2D, terms: FlowTerm[]): Promise<Tensor2D> | null {
  const portable = portableTerms(terms);
  return portable ? driftOf(x, portable) : null;
}

/** ∇ₓΦ(x) by a one-off drift graph (weights fed; tests and tools). */
async function driftOf(x: Tensor2D, terms: PortableTerm[]): Promise<Tensor2D> {
  const [n, dim] = x.shape;
  const compiled = terms.map(graphTerm);
  const session = await createSession(driftProgram(compiled, dim, false), runtimeInfo().threads);
  try {
    const feeds: Record<string, OrtTensor> = { x: floatTensor((await x.data()) as Float32Array, [n, dim]) };
    compiled.forEach((t, i) => t.weights.forEach((w, j) => (feeds[weightName(i, j)] = floatTensor(w.data, w.shape))));
    const out = await session.run(feeds);
    return tf.tensor2d(out.drift.data as Float32Array, [n, dim]);
  } finally {
    await session.release();
  }
}

export const ortEngine: Engine = {
  name: 'ort',
  flow,
  drift,
  outputs,
  trainingGradients,
};
