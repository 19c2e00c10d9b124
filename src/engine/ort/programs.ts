/**
 * The graphs the ONNX Runtime engine runs, built from graph terms (./terms.ts):
 * - flow: M Euler–Maruyama steps x ← x − η ∇ₓΦ(x) + ν ξ in one Loop (M and the noise
 *   [M, n, dim] given at run time), optionally the first term's mean net output per step;
 * - drift: ∇ₓΦ(x) (tests, tools);
 * - outputs: a ratio net's outputs;
 * - training: a ratio loss on particles against data, its gradients w.r.t. the weights and
 *   the gradient's squared norm.
 * Weights are either baked into the graph as constants (ONNX Runtime then pre-packs them and
 * runs convolutions in its blocked layout; one session per set of weights) or graph inputs
 * `w<term>_<index>` fed at each run (one session for every set of weights).
 */
import { attr, Graph, type Value } from './graph.js';
import * as op from './ops.js';
import { ortOps } from './tensor-ops.js';
import type { GraphTerm, WeightArray } from './terms.js';
import type { NetDefinition } from '../../nets/ratio-net.js';
import type { RatioLoss } from '../../losses/index.js';

const addRaw = (a: Value, b: Value): Value => op.raw.binary('Add', a, b);

/** The feed name of weight i of term t. */
export const weightName = (t: number, i: number): string => `w${t}_${i}`;

function weightValues(g: Graph, weights: WeightArray[], t: number, bake: boolean): Value[] {
  return weights.map((w, i) => (bake ? g.weights(weightName(t, i), w.data, w.shape) : g.input(weightName(t, i), w.shape)));
}

/** Σₜ weightₜ · Σ over particles of potentialₜ(x), and the first term's net output. */
function totalPotential(terms: GraphTerm[], x: Value, ws: Value[][], normalized: boolean): { total: Value; netOut?: Value } {
  let total: Value | null = null;
  let netOut: Value | undefined;
  terms.forEach((term, t) => {
    const built = term.build(x, ws[t], normalized);
    if (t === 0) netOut = built.netOut;
    const part = op.scale(op.sum(built.potential), term.weight);
    total = total ? op.add(total, part) : part;
  });
  return { total: total!, netOut };
}

function drift(terms: GraphTerm[], x: Value, ws: Value[][], normalized = false): { drift: Value; netOut?: Value } {
  const { total, netOut } = totalPotential(terms, x, ws, normalized);
  const [gx] = x.graph.tape.gradients([total], [x.graph.scalar(1)], [x], addRaw);
  if (!gx) throw new Error('drift: the potential does not depend on the particles');
  return { drift: gx, netOut };
}

export interface FlowProgramOptions {
  bake: boolean;
  /** The terms' weights are the ones their nets compute with (normalised already). */
  normalized: boolean;
  /** Output the sum of the first term's net outputs at the start of every step. */
  meanOutput: boolean;
  /**
   * Run the steps in a Loop (MLPs: saves a call per step). Convolutional nets run one step per
   * call instead: inside a Loop's body ONNX Runtime fuses a convolution with its activation
   * without moving it to its blocked layout, which measured twice as slow.
   */
  loop: boolean;
}

/** One Euler–Maruyama step of x (a value of `graph`), with its noise ξ when ν > 0. */
function eulerStep(terms: GraphTerm[], x: Value, ws: Value[][], eta: number, nu: number, xi: Value | null, normalized: boolean): { next: Value; drift: Value; netOut?: Value } {
  const { drift: gx, netOut } = drift(terms, x, ws, normalized);
  // the same operations, in the same order, as the TF.js engine's step
  let next = op.raw.binary('Sub', x, op.raw.scale(gx, eta));
  if (xi) next = op.raw.binary('Add', next, op.raw.scale(xi, nu));
  return { next, drift: gx, netOut };
}

/**
 * The flow graph. With `loop`: inputs x [n, dim], trips (int64 scalar M), noise [M, n, dim]
 * when ν > 0, and the weights unless baked; outputs x_final, and sums [M] (of the first term's
 * net outputs over the particles, at the start of each step) with `meanOutput`. Without: one
 * step, inputs x and noise [1, n, dim]; outputs x_final and sums [1].
 */
export function flowProgram(terms: GraphTerm[], dim: number, eta: number, nu: number, opts: FlowProgramOptions): Uint8Array {
  const g = new Graph('flow');
  const x0 = g.input('x', ['n', dim]);
  const trips = opts.loop ? g.input('trips', [], 'int64') : null;
  const noise = nu > 0 ? g.input('noise', [opts.loop ? 'm' : 1, 'n', dim]) : null;
  const ws = terms.map((term, t) => weightValues(g, term.weights, t, opts.bake));
  if (!opts.loop) {
    const xi = noise ? op.raw.reshape(noise, ['n', dim]) : null;
    const { next, netOut } = eulerStep(terms, x0, ws, eta, nu, xi, opts.normalized);
    g.output(next, 'x_final');
    if (opts.meanOutput) g.output(op.raw.reshape(op.raw.reduceSum(needNetOut(netOut), [0, 1], false), [1]), 'sums');
    return g.toModel();
  }
  const body = g.subgraph('step');
  const it = body.input('it', [], 'int64');
  const cond = body.input('cond', [], 'bool');
  const x = body.input('x_in', ['n', dim]);
  const xi = noise ? body.node('Gather', [noise, it], { axis: attr.int(0) }, [['n', dim]])[0] : null;
  const { next, netOut } = eulerStep(terms, x, ws, eta, nu, xi, opts.normalized);
  body.output(cond, 'cond_out');
  body.output(next, 'x_out');
  const shapes: (number | string)[][] = [['n', dim]];
  if (opts.meanOutput) {
    body.output(op.raw.reduceSum(needNetOut(netOut), [0, 1], false), 'out_sum');
    shapes.push(['m']);
  }
  const outs = g.node('Loop', [trips!, '', x0], { body: attr.graph(body) }, shapes);
  g.output(outs[0], 'x_final');
  if (opts.meanOutput) g.output(outs[1], 'sums');
  return g.toModel();
}

function needNetOut(netOut: Value | undefined): Value {
  if (!netOut) throw new Error('flowProgram: meanOutput needs a ratio term first');
  return netOut;
}

/**
 * The exported flow step (dggf export): inputs x [n, dim] and, when ν > 0, noise [n, dim] (standard
 * normals); outputs x_next = x − η drift + ν noise, drift [n, dim] and out [n] (the first term's net
 * outputs at x). The terms' weights are baked in, as their nets compute with them.
 */
export function exportedStepProgram(terms: GraphTerm[], dim: number, eta: number, nu: number): Uint8Array {
  const g = new Graph('dggf_flow_step');
  const x = g.input('x', ['n', dim]);
  const noise = nu > 0 ? g.input('noise', ['n', dim]) : null;
  const ws = terms.map((term, t) => weightValues(g, term.weights, t, true));
  const { next, drift: gx, netOut } = eulerStep(terms, x, ws, eta, nu, noise, true);
  g.output(next, 'x_next');
  g.output(g.node('Identity', [gx], {}, [gx.shape])[0], 'drift');
  g.output(op.raw.reshape(needNetOut(netOut), ['n']), 'out');
  return g.toModel();
}

/** The drift graph: x [n, dim] → drift [n, dim]. */
export function driftProgram(terms: GraphTerm[], dim: number, bake: boolean): Uint8Array {
  const g = new Graph('drift');
  const x = g.input('x', ['n', dim]);
  const ws = terms.map((term, t) => weightValues(g, term.weights, t, bake));
  g.output(drift(terms, x, ws).drift, 'drift');
  return g.toModel();
}

/** The weights a net computes with, from the weights as trained (fed as w0_<i>): outputs n<i>. */
export function normalizeProgram(net: NetDefinition, weights: WeightArray[]): Uint8Array {
  const g = new Graph('normalize');
  const ws = weightValues(g, weights, 0, false);
  net.normalizeWeights(ortOps, ws).forEach((w, i) => g.output(w === ws[i] ? g.node('Identity', [w], {}, [w.shape])[0] : w, `n${i}`));
  return g.toModel();
}

/** A ratio net's outputs: x [n, dim] → out [n] (weights fed as w0_<i>, or baked in: an export). */
export function outputsProgram(net: NetDefinition, dim: number, weights: WeightArray[], bake = false): Uint8Array {
  const g = new Graph('outputs');
  const x = g.input('x', ['n', dim]);
  const ws = weightValues(g, weights, 0, bake);
  g.output(op.raw.reshape(net.forward(ortOps, x, net.normalizeWeights(ortOps, ws)), ['n']), 'out');
  return g.toModel();
}

/**
 * The training graph of a ratio net: particles [rows, dim] and data [rows, dim] through one
 * forward pass, the loss, its gradients w.r.t. the weights as trained (fed as w0_<i>; through
 * spectral normalisation where the net has it). Outputs: loss,
 * out_sum (the net's outputs summed over the particles), grad_sq (Σ of squared gradients), g<i>.
 */
export function trainingProgram(net: NetDefinition, loss: RatioLoss, dim: number, rows: number, dataRows: number, weights: WeightArray[]): Uint8Array {
  const g = new Graph('training');
  const nu = g.input('particles', [rows, dim]);
  const de = g.input('data', [dataRows, dim]);
  const ws = weightValues(g, weights, 0, false);
  const out = net.forward(ortOps, op.concat([nu, de], 0), net.normalizeWeights(ortOps, ws));
  const outNu = op.sliceRows(out, 0, rows);
  const outDe = op.sliceRows(out, rows, dataRows);
  const value = loss.of(ortOps, outNu, outDe);
  const grads = g.tape.gradients([value], [g.scalar(1)], ws, addRaw);
  g.output(value, 'loss');
  g.output(op.raw.reduceSum(outNu, [0, 1], false), 'out_sum');
  let squares: Value | null = null;
  grads.forEach((grad, i) => {
    if (!grad) throw new Error(`trainingProgram: the loss does not depend on weight ${i}`);
    g.output(grad, `g${i}`);
    const sq = op.raw.reduceSum(op.raw.binary('Mul', grad, grad), grad.shape.map((_, a) => a), false);
    squares = squares ? addRaw(squares, sq) : sq;
  });
  g.output(squares!, 'grad_sq');
  return g.toModel();
}
