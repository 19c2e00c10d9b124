/**
 * The ONNX Runtime engine: flows as Loops of Euler–Maruyama steps, net outputs and training
 * gradients, each a graph (./programs.ts) run by a cached session. The flow's noise still comes
 * from our seeded, chunked source (src/flow/noise.ts), drawn here and fed to the Loop, so a
 * run is as reproducible and resumable as on the TF.js engine.
 *
 * Sessions: graphs whose weights are inputs are kept per graph; graphs with baked weights
 * (nets with convolutions, which ONNX Runtime runs far faster with constant kernels) are kept
 * for the last few sets of weights (a training flow's weights change every iteration, a
 * sampler's stay).
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { tf, type Tensor, type Tensor2D } from '../tf.js';
import type { Engine, FlowRecording, FlowResult, TrainingGradients } from '../engine.js';
import { isSnapshotStep, type FlowSettings, type FlowTerm } from '../../flow/terms.js';
import type { FlowNoise } from '../../flow/noise.js';
import type { RatioNet } from '../../nets/ratio-net.js';
import type { RatioLoss } from '../../losses/index.js';
import { createSession, floatTensor, int64Scalar } from './runtime.js';
import { graphTerm, readWeights, type GraphTerm, type WeightArray } from './terms.js';
import { driftProgram, flowProgram, normalizeProgram, outputsProgram, trainingProgram, weightName } from './programs.js';

/** Graphs with fed weights kept at once, and sets of baked weights. */
const MAX_FED = 16;
const MAX_BAKED = 3;
/** Most noise values fed to one run of the flow Loop (its buffer: 4 bytes each). */
const MAX_NOISE_VALUES = 1 << 24;

interface BakedEntry {
  key: string;
  sources: object[];
  session: Promise<InferenceSession>;
}

const fed = new Map<string, Promise<InferenceSession>>();
let baked: BakedEntry[] = [];

function release(session: Promise<InferenceSession>): void {
  session.then((s) => s.release()).catch(() => {});
}

/** The session of a graph with fed weights, built once per key. */
function fedSession(key: string, build: () => Uint8Array): Promise<InferenceSession> {
  let session = fed.get(key);
  if (session) {
    fed.delete(key); // most recently used last
  } else {
    session = createSession(build());
    session.catch(() => fed.delete(key));
  }
  fed.set(key, session);
  while (fed.size > MAX_FED) {
    const [oldest, s] = fed.entries().next().value as [string, Promise<InferenceSession>];
    fed.delete(oldest);
    release(s);
  }
  return session;
}

const identity = (tensors: Tensor[]): object[] => tensors.map((t) => t.dataId);

/** The session of a graph with baked weights, one per key and set of source tensors. */
function bakedSession(key: string, sources: Tensor[], build: () => Promise<Uint8Array>): Promise<InferenceSession> {
  const ids = identity(sources);
  const found = baked.find((e) => e.key === key && e.sources.length === ids.length && e.sources.every((s, i) => s === ids[i]));
  if (found) {
    baked = [...baked.filter((e) => e !== found), found];
    return found.session;
  }
  const entry: BakedEntry = { key, sources: ids, session: build().then(createSession) };
  entry.session.catch(() => (baked = baked.filter((e) => e !== entry)));
  baked.push(entry);
  while (baked.length > MAX_BAKED) release(baked.shift()!.session);
  return entry.session;
}

/** Frees every session (tests, and before the process ends). */
export async function releaseSessions(): Promise<void> {
  const all = [...fed.values(), ...baked.map((e) => e.session)];
  fed.clear();
  baked = [];
  await Promise.all(all.map((s) => s.then((x) => x.release()).catch(() => {})));
}

/** Sessions held now (tests: no growth). */
export function sessionCount(): number {
  return fed.size + baked.length;
}

function weightFeeds(weights: WeightArray[][], into: Record<string, OrtTensor>): void {
  weights.forEach((ws, t) => ws.forEach((w, i) => (into[weightName(t, i)] = floatTensor(w.data, w.shape))));
}

function compileTerms(terms: FlowTerm[]): GraphTerm[] | null {
  const compiled: GraphTerm[] = [];
  for (const term of terms) {
    const g = graphTerm(term);
    if (!g) return null;
    compiled.push(g);
  }
  return compiled;
}

const shapesKey = (terms: GraphTerm[]): string => JSON.stringify(terms.map((t) => t.weights.map((w) => w.shape)));

interface Flowable {
  session: Promise<InferenceSession>;
  feeds: Record<string, OrtTensor>;
  /** Many steps per call (a Loop), or one. */
  loop: boolean;
}

/**
 * The weights a ratio term's net computes with (spectrally normalised by a small graph of
 * their own), so that baked kernels are constants the engine derives its backward kernels from.
 */
async function normalizedWeights(term: GraphTerm): Promise<WeightArray[]> {
  const net = term.net;
  if (!net || !('spectralNorm' in net.spec) || !net.spec.spectralNorm) return term.weights;
  const key = JSON.stringify({ program: 'normalize', spec: net.spec });
  const s = await fedSession(key, () => normalizeProgram(net, term.weights));
  const feeds: Record<string, OrtTensor> = {};
  weightFeeds([term.weights], feeds);
  const out = await s.run(feeds);
  return term.weights.map((w, i) => ({ data: out[`n${i}`].data as Float32Array, shape: w.shape }));
}

function flowSession(terms: GraphTerm[], dim: number, settings: FlowSettings, meanOutput: boolean): Flowable {
  // nets with convolutions: baked weights, one step per call (see FlowProgramOptions)
  const bake = terms.some((t) => t.convolutional);
  const opts = { bake, meanOutput, loop: !bake, normalized: bake };
  const key = JSON.stringify({ program: 'flow', terms: terms.map((t) => t.key), shapes: shapesKey(terms), dim, eta: settings.eta, nu: settings.noise, ...opts });
  const feeds: Record<string, OrtTensor> = {};
  if (bake) {
    const session = bakedSession(key, terms.flatMap((t) => t.sources), async () => {
      const baked = await Promise.all(terms.map(async (t) => ({ ...t, weights: await normalizedWeights(t) })));
      return flowProgram(baked, dim, settings.eta, settings.noise, opts);
    });
    return { session, feeds, loop: opts.loop };
  }
  weightFeeds(terms.map((t) => t.weights), feeds);
  return { session: fedSession(key, () => flowProgram(terms, dim, settings.eta, settings.noise, opts)), feeds, loop: opts.loop };
}

/** Rows per block of a flow: whole noise chunks, at most what the first net allows at once. */
function blockRows(terms: FlowTerm[], n: number, chunkRows: number): number {
  const limits = terms.map((t) => (t.kind === 'ratio' ? (t.net.maxRows ?? Infinity) : Infinity));
  const limit = Math.min(n, ...limits);
  return Math.max(chunkRows, Math.floor(limit / chunkRows) * chunkRows);
}

function flow(x0: Tensor2D, terms: FlowTerm[], settings: FlowSettings, noise: FlowNoise, record: FlowRecording): Promise<FlowResult> | null {
  const compiled = compileTerms(terms);
  if (!compiled) return null;
  return runFlow(x0, terms, compiled, settings, noise, record);
}

async function runFlow(x0: Tensor2D, terms: FlowTerm[], compiled: GraphTerm[], settings: FlowSettings, noise: FlowNoise, record: FlowRecording): Promise<FlowResult> {
  const first = terms[0];
  if (record.meanOutput && first?.kind !== 'ratio') throw new Error('runFlow: meanOutput needs a ratio term first');
  const [n, dim] = x0.shape;
  const steps = settings.steps;
  const every = record.trajectoryEvery ?? 0;
  const snapshotSteps = every ? Array.from({ length: steps + 1 }, (_, k) => k).filter((k) => isSnapshotStep(k, every, steps)) : [];
  const trajectory = snapshotSteps.map((step) => ({ step, points: new Float32Array(n * dim) }));
  const sums = new Float64Array(steps);
  const x = (x0.dataSync() as Float32Array).slice();
  const { session, feeds, loop } = flowSession(compiled, dim, settings, Boolean(record.meanOutput));
  const s = await session;
  const rows = blockRows(terms, n, noise.chunkRows);
  for (let from = 0; from < n; from += rows) {
    const m = Math.min(rows, n - from);
    let block: Float32Array = x.subarray(from * dim, (from + m) * dim);
    const nextNoise = settings.noise > 0 ? noise.stepper(from, m, dim) : null;
    const snap = (k: number): void => {
      const i = snapshotSteps.indexOf(k);
      if (i >= 0) trajectory[i].points.set(block, from * dim);
    };
    snap(0);
    const maxSegment = loop ? Math.max(1, Math.floor(MAX_NOISE_VALUES / (m * dim))) : 1;
    for (let k = 0; k < steps; ) {
      // run to the next snapshot (or the segment limit)
      let end = Math.min(steps, k + maxSegment);
      const nextSnap = snapshotSteps.find((t) => t > k);
      if (nextSnap !== undefined) end = Math.min(end, nextSnap);
      const count = end - k;
      const run: Record<string, OrtTensor> = { ...feeds, x: floatTensor(block, [m, dim]) };
      if (loop) run.trips = int64Scalar(count);
      if (nextNoise) {
        const xi = new Float32Array(count * m * dim);
        for (let j = 0; j < count; j++) xi.set(nextNoise(), j * m * dim);
        run.noise = floatTensor(xi, [count, m, dim]);
      }
      const out = await s.run(run);
      block = out.x_final.data as Float32Array;
      if (record.meanOutput) {
        const blockSums = out.sums.data as Float32Array;
        for (let j = 0; j < count; j++) sums[k + j] += blockSums[j];
      }
      k = end;
      snap(k);
    }
    x.set(block, from * dim);
  }
  const result: FlowResult = { x: tf.tensor2d(x, [n, dim]) };
  if (every) result.trajectory = trajectory;
  if (record.meanOutput && first.kind === 'ratio') {
    const last = await outputs(first.net, first.weights, result.x);
    let total = 0;
    for (const v of last) total += v;
    result.meanOutputs = [...Array.from(sums, (v) => v / n), total / n];
  }
  return result;
}

async function outputs(net: RatioNet, weights: Tensor[] | undefined, x: Tensor2D): Promise<Float32Array> {
  const [n, dim] = x.shape;
  const ws = readWeights(weights ?? net.params.map((p) => p.variable));
  const key = JSON.stringify({ program: 'outputs', spec: net.spec, dim, shapes: ws.map((w) => w.shape) });
  const s = await fedSession(key, () => outputsProgram(net, dim, ws));
  const feeds: Record<string, OrtTensor> = { x: floatTensor(x.dataSync() as Float32Array, [n, dim]) };
  weightFeeds([ws], feeds);
  return (await s.run(feeds)).out.data as Float32Array;
}

async function trainingGradients(net: RatioNet, loss: RatioLoss, particles: Tensor2D, data: Tensor2D): Promise<TrainingGradients> {
  const [rows, dim] = particles.shape;
  const dataRows = data.shape[0];
  const ws = readWeights(net.params.map((p) => p.variable));
  const key = JSON.stringify({ program: 'training', spec: net.spec, loss: loss.name, dim, rows, dataRows });
  const s = await fedSession(key, () => trainingProgram(net, loss, dim, rows, dataRows, ws));
  const feeds: Record<string, OrtTensor> = {
    particles: floatTensor(particles.dataSync() as Float32Array, [rows, dim]),
    data: floatTensor(data.dataSync() as Float32Array, [dataRows, dim]),
  };
  weightFeeds([ws], feeds);
  const out = await s.run(feeds);
  return {
    loss: (out.loss.data as Float32Array)[0],
    meanOut: (out.out_sum.data as Float32Array)[0] / rows,
    gradNorm: Math.sqrt((out.grad_sq.data as Float32Array)[0]),
    grads: ws.map((w, i) => tf.tensor(out[`g${i}`].data as Float32Array, w.shape, 'float32')),
  };
}

function drift(x: Tensor2D, terms: FlowTerm[]): Promise<Tensor2D> | null {
  const compiled = compileTerms(terms);
  return compiled ? driftOf(x, compiled) : null;
}

/** ∇ₓΦ(x) by a one-off drift graph (weights fed). */
async function driftOf(x: Tensor2D, compiled: GraphTerm[]): Promise<Tensor2D> {
  const [n, dim] = x.shape;
  const session = await createSession(driftProgram(compiled, dim, false));
  try {
    const feeds: Record<string, OrtTensor> = { x: floatTensor(x.dataSync() as Float32Array, [n, dim]) };
    weightFeeds(compiled.map((t) => t.weights), feeds);
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
