/**
 * The work one thread does on its rows of a batch, the same on the main thread and in the
 * worker threads (./pool.ts): the flow of rows [firstRow, firstRow + rows) with their noise
 * chunks, and the loss and parameter gradients of a training block. Plain data in, plain data
 * out, so a batch's result does not depend on how it was split.
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { snapshotSteps, type FlowSettings } from '../../flow/terms.js';
import type { FlowRows } from '../row-split.js';
import { FlowNoise, noisySteps } from '../../flow/noise.js';
import { getLoss, type LossName } from '../../losses/index.js';
import { isMlpSpec, netDefinition, type NetSpec } from '../../nets/ratio-net.js';
import { convChunkRows } from '../../nets/conv.js';
import { floatTensor, int64Scalar } from './runtime.js';
import { bakedSession, fedSession } from './sessions.js';
import { graphTerm, type GraphTerm, type PortableTerm, type WeightArray } from './terms.js';
import { flowProgram, normalizeProgram, outputsProgram, trainingProgram, weightName } from './programs.js';

/** Most noise values fed to one run of the flow Loop (its buffer: 4 bytes each). */
const MAX_NOISE_VALUES = 1 << 24;

export interface FlowRowsJob extends FlowRows {
  terms: PortableTerm[];
  /** Sum the first term's net outputs over the rows at steps 0..K. */
  meanOutput: boolean;
  /** Intra-op threads of this thread's sessions. */
  threads: number;
}

export interface FlowRowsResult {
  x: Float32Array;
  /** The rows at each snapshot step, in order. */
  trajectory: Float32Array[];
  /** With `meanOutput`: the first term's net outputs summed over the rows, at steps 0..K. */
  sums?: number[];
}

export interface GradientRowsJob {
  spec: NetSpec;
  loss: LossName;
  weights: WeightArray[];
  particles: Float32Array;
  data: Float32Array;
  rows: number;
  dataRows: number;
  dim: number;
  threads: number;
}

export interface GradientRowsResult {
  /** The loss of this block (means over its rows). */
  loss: number;
  /** The net's outputs summed over the block's particles. */
  outSum: number;
  /** ∂loss/∂weights of this block, in weight order. */
  grads: Float32Array[];
}

function weightFeeds(weights: WeightArray[][], into: Record<string, OrtTensor>): void {
  weights.forEach((ws, t) => ws.forEach((w, i) => (into[weightName(t, i)] = floatTensor(w.data, w.shape))));
}

/**
 * A ratio term's weights as its net computes with them (spectrally normalised by a small graph
 * of their own), so that baked kernels are constants the engine derives its backward kernels from.
 */
export async function normalizedWeights(term: GraphTerm, threads: number): Promise<WeightArray[]> {
  const net = term.net;
  if (!net || !('spectralNorm' in net.spec) || !net.spec.spectralNorm) return term.weights;
  const s = await fedSession(JSON.stringify({ program: 'normalize', spec: net.spec }), threads, () => normalizeProgram(net, term.weights));
  const feeds: Record<string, OrtTensor> = {};
  weightFeeds([term.weights], feeds);
  const out = await s.run(feeds);
  return term.weights.map((w, i) => ({ data: out[`n${i}`].data as Float32Array, shape: w.shape }));
}

interface FlowSession {
  session: InferenceSession;
  /** Many steps per call (a Loop), or one. */
  loop: boolean;
  /** The weights, where they are fed rather than baked. */
  feeds: Record<string, OrtTensor>;
}

/**
 * The flow's session. Conv nets: the weights baked in (ONNX Runtime runs convolutions with
 * constant kernels in its blocked layout, far faster, session build included), one step per call
 * (see FlowProgramOptions), one session per set of weights. MLPs: the weights fed (baking them
 * measured no faster), all steps in a Loop, one session for the run.
 */
async function flowSession(terms: GraphTerm[], dim: number, settings: FlowSettings, meanOutput: boolean, threads: number): Promise<FlowSession> {
  const bake = terms.some((t) => t.convolutional);
  const opts = { bake, meanOutput, loop: !bake, normalized: bake };
  const shapes = terms.map((t) => t.weights.map((w) => w.shape));
  // everything the graph holds but the weights' values: the terms' weights (φ) are constants in it
  const key = JSON.stringify({ program: 'flow', terms: terms.map((t) => t.key), termWeights: terms.map((t) => t.weight), shapes, dim, eta: settings.eta, nu: settings.noise, ...opts });
  if (!bake) {
    const s = await fedSession(key, threads, () => flowProgram(terms, dim, settings.eta, settings.noise, opts));
    const feeds: Record<string, OrtTensor> = {};
    weightFeeds(terms.map((t) => t.weights), feeds);
    return { session: s, loop: opts.loop, feeds };
  }
  const session = await bakedSession(`${key}@${terms.map((t) => t.version).join(',')}`, threads, async () => {
    const withNormalized = await Promise.all(terms.map(async (t) => ({ ...t, weights: await normalizedWeights(t, threads) })));
    return flowProgram(withNormalized, dim, settings.eta, settings.noise, opts);
  });
  return { session, loop: opts.loop, feeds: {} };
}

/** Rows per block of a flow: whole noise chunks, at most what the first term's net takes at once (memory). */
function blockRows(terms: PortableTerm[], n: number, chunkRows: number): number {
  const first = terms[0];
  const limit = first.kind === 'ratio' && !isMlpSpec(first.spec) ? convChunkRows(first.spec) : n;
  return Math.max(chunkRows, Math.floor(Math.min(n, limit) / chunkRows) * chunkRows);
}

/** The net outputs of a ratio term summed over rows x (fed weights, normalised in the graph). */
async function outputSum(term: PortableTerm, x: Float32Array, rows: number, dim: number, threads: number): Promise<number> {
  if (term.kind !== 'ratio') throw new Error('meanOutput needs a ratio term first');
  const out = await netOutputs(term.spec, term.weights, x, rows, dim, threads);
  let total = 0;
  for (const v of out) total += v;
  return total;
}

/** A net's outputs [rows] for x (weights as trained, fed). */
export async function netOutputs(spec: NetSpec, weights: WeightArray[], x: Float32Array, rows: number, dim: number, threads: number): Promise<Float32Array> {
  const key = JSON.stringify({ program: 'outputs', spec, dim, shapes: weights.map((w) => w.shape) });
  const s = await fedSession(key, threads, () => outputsProgram(netDefinition(spec), dim, weights));
  const feeds: Record<string, OrtTensor> = { x: floatTensor(x, [rows, dim]) };
  weightFeeds([weights], feeds);
  return (await s.run(feeds)).out.data as Float32Array;
}

/** `settings.steps` Euler–Maruyama steps of the job's rows. */
export async function flowRows(job: FlowRowsJob): Promise<FlowRowsResult> {
  const { rows: n, dim, settings, threads } = job;
  const steps = settings.steps;
  const snapshots = snapshotSteps(steps, job.trajectoryEvery ?? 0);
  const trajectory = snapshots.map(() => new Float32Array(n * dim));
  const sums = job.meanOutput ? new Array<number>(steps + 1).fill(0) : undefined;
  const x = job.x.slice();
  const { session, loop, feeds } = await flowSession(job.terms.map(graphTerm), dim, settings, job.meanOutput, threads);
  const noise = new FlowNoise(job.noiseSeed, job.chunkRows);
  const rows = blockRows(job.terms, n, job.chunkRows);
  for (let from = 0; from < n; from += rows) {
    const m = Math.min(rows, n - from);
    let block: Float32Array = x.subarray(from * dim, (from + m) * dim);
    const nextNoise = settings.noise > 0 ? noise.stepper(job.firstRow + from, m, dim, noisySteps(settings)) : null;
    const snap = (k: number): void => {
      const i = snapshots.indexOf(k);
      if (i >= 0) trajectory[i].set(block, from * dim);
    };
    snap(0);
    const maxSegment = loop ? Math.max(1, Math.floor(MAX_NOISE_VALUES / (m * dim))) : 1;
    for (let k = 0; k < steps; ) {
      // run to the next snapshot (or the segment limit)
      let end = Math.min(steps, k + maxSegment);
      const nextSnap = snapshots.find((t) => t > k);
      if (nextSnap !== undefined) end = Math.min(end, nextSnap);
      const count = end - k;
      const run: Record<string, OrtTensor> = { ...feeds, x: floatTensor(block, [m, dim]) };
      if (loop) run.trips = int64Scalar(count);
      if (nextNoise) {
        const xi = new Float32Array(count * m * dim);
        for (let j = 0; j < count; j++) xi.set(nextNoise(), j * m * dim);
        run.noise = floatTensor(xi, [count, m, dim]);
      }
      const out = await session.run(run);
      block = out.x_final.data as Float32Array;
      if (sums) {
        const blockSums = out.sums.data as Float32Array;
        for (let j = 0; j < count; j++) sums[k + j] += blockSums[j];
      }
      k = end;
      snap(k);
    }
    x.set(block, from * dim);
  }
  if (sums) sums[steps] = await outputSum(job.terms[0], x, n, dim, threads);
  return { x, trajectory, sums };
}

/** The ratio loss of a training block and its gradients w.r.t. the weights as trained. */
export async function gradientRows(job: GradientRowsJob): Promise<GradientRowsResult> {
  const { spec, weights, rows, dataRows, dim, threads } = job;
  const key = JSON.stringify({ program: 'training', spec, loss: job.loss, dim, rows, dataRows });
  const s = await fedSession(key, threads, () => trainingProgram(netDefinition(spec), getLoss(job.loss), dim, rows, dataRows, weights));
  const feeds: Record<string, OrtTensor> = {
    particles: floatTensor(job.particles, [rows, dim]),
    data: floatTensor(job.data, [dataRows, dim]),
  };
  weightFeeds([weights], feeds);
  const out = await s.run(feeds);
  return {
    loss: (out.loss.data as Float32Array)[0],
    outSum: (out.out_sum.data as Float32Array)[0],
    grads: weights.map((_, i) => out[`g${i}`].data as Float32Array),
  };
}
