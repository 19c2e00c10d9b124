/**
 * The TF.js engine's flow: flow terms (src/flow/terms.ts) compiled into TF.js potentials and
 * gradients, the drift ∇ₓΦ, and the Euler–Maruyama loop itself. The main thread and the flow
 * workers (./parallel/) run exactly this code, so a particle's path depends only on its rows,
 * the weights and its noise chunk.
 */
import { tf, type Tensor, type Tensor2D } from '../tf.js';
import { getDivergence, type DivergenceName, type NetOutput } from '../../divergences/index.js';
import { isMlpSpec, type NetSpec } from '../../nets/ratio-net.js';
import type { ClassifierTerm, FlowSettings, FlowTerm, RatioTerm } from '../../flow/terms.js';

/** A ratio term that a worker thread can rebuild from plain data. */
export interface PortableTerm {
  kind: 'net-ratio';
  spec: NetSpec;
  /** The weights used, in the net's parameter order. */
  weights: { values: Float32Array; shape: number[] }[];
  divergence: DivergenceName;
  output: NetOutput;
  weight: number;
}

/** A flow term compiled for TF.js. */
export interface TfjsTerm {
  /** Per-particle potential, shape [n] or [n, 1]. */
  potential(x: Tensor2D): Tensor;
  /** ∇ₓ of the summed potential, when the term has a faster way than autodiff. */
  gradient?(x: Tensor2D): Tensor2D;
  weight: number;
  /** Most rows its potential/gradient should see at once (memory); larger batches are split. */
  maxRows?: number;
  /** Expensive per particle (conv nets): split across threads from two noise chunks up. */
  heavy?: boolean;
  /**
   * The term's ∇ₓ (weight not applied) on plain row-major arrays, with what it depends on read
   * now, by our fused CPU kernels; null (or absent) where they do not apply.
   */
  arrays?(): ArrayGradient | null;
  /** A snapshot of the term as plain data (weights read now), for the particle-parallel flow. */
  portable?(): PortableTerm;
}

/** ∇ₓ on plain row-major arrays: x [rows, dim] → [rows, dim] (a new array). */
export type ArrayGradient = (x: Float32Array, rows: number) => Float32Array;

/**
 * The drift ∇ₓΦ of a set of terms on tensors, and, where every term has one, on plain arrays
 * (`arrays()` reads the weights as they are when it is called: once per flow).
 */
export type Drift = ((x: Tensor2D) => Tensor2D) & { arrays?: () => ArrayGradient | null };

function compileRatio(term: RatioTerm): TfjsTerm {
  const { net, weights, divergence, output, weight } = term;
  const d = getDivergence(divergence);
  const fast = net.inputGradient;
  const spec = net.spec;
  return {
    // the weights stay fixed during a flow: what depends on them alone is computed once
    potential: (x) => d.fPrimeOfOutput(net.applyFixed ? net.applyFixed(x, weights) : net.apply(x, weights), output),
    gradient: fast ? (x) => fast(x, (out) => d.fPrimeSlope(out, output), weights) : undefined,
    weight,
    maxRows: net.maxRows,
    arrays: net.fused
      ? () => {
          const fused = net.fused!(weights);
          if (!fused) return null;
          const slope = (out: Float32Array, into: Float32Array): void => {
            for (let i = 0; i < out.length; i++) into[i] = d.fPrimeSlopeAt(out[i], output);
          };
          return (x, rows) => fused.inputGradient(x, rows, slope);
        }
      : undefined,
    portable: () => ({
      kind: 'net-ratio',
      spec,
      weights: (weights ?? net.params.map((p) => p.variable)).map((w) => ({
        values: w.dataSync() as Float32Array,
        shape: w.shape.slice(),
      })),
      divergence,
      output,
      weight,
    }),
    // a conv net's step costs far more than an MLP's: worth splitting even small batches
    heavy: !isMlpSpec(spec),
  };
}

function compileClassifier(term: ClassifierTerm): TfjsTerm {
  const { model, image, classIndex, temperature, mapping, weight } = term;
  const logProb = (x: Tensor2D): Tensor => {
    const flat = mapping ? tf.add(tf.mul(x, tf.tensor1d(mapping.std)), tf.tensor1d(mapping.mean)) : x;
    const images = tf.reshape(flat, [x.shape[0], image.height, image.width, image.channels]);
    const logits = model.apply(images, { training: false }) as Tensor;
    const logProbs = tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature));
    return tf.reshape(tf.slice(logProbs, [0, classIndex], [-1, 1]), [-1]);
  };
  return { potential: (x) => tf.neg(logProb(x)), weight };
}

/** A flow term in its TF.js form. */
export function compileTerm(term: FlowTerm): TfjsTerm {
  switch (term.kind) {
    case 'ratio':
      return compileRatio(term);
    case 'classifier':
      return compileClassifier(term);
    case 'potential':
      return { potential: (x) => term.potential(x), weight: term.weight };
  }
}

/** ∇ₓ of the summed weighted potential of `terms`, per particle: [n, dim]. */
export function driftGradient(terms: FlowTerm[]): Drift {
  return compiledDrift(terms.map(compileTerm));
}

/** ∇ₓ of the summed weighted potential of compiled terms, per particle: [n, dim]. */
export function compiledDrift(terms: TfjsTerm[]): Drift {
  if (terms.length === 0) throw new Error('a flow needs at least one term');
  const weighted = (t: Tensor, w: number): Tensor => (w === 1 ? t : tf.mul(t, w));
  const direct = terms.filter((t) => t.gradient);
  const viaAutodiff = terms.filter((t) => !t.gradient);
  const autodiff = viaAutodiff.length
    ? tf.grad((x: Tensor) =>
        viaAutodiff
          .map((t) => weighted(tf.sum(t.potential(x as Tensor2D)), t.weight))
          .reduce((a, b) => tf.add(a, b)),
      )
    : null;
  const whole = (x: Tensor2D): Tensor2D => {
    const parts = direct.map((t) => weighted(t.gradient!(x), t.weight));
    if (autodiff) parts.push(autodiff(x));
    return parts.reduce((a, b) => tf.add(a, b)) as Tensor2D;
  };
  const limits = terms.map((t) => t.maxRows ?? Infinity);
  const maxRows = Math.min(...limits);
  // the drift is per particle, so row chunks give the same result with bounded memory
  const drift: Drift = (x) => (x.shape[0] <= maxRows ? whole(x) : inRowChunks(x, maxRows, whole));
  if (terms.every((t) => t.arrays)) drift.arrays = () => arrayDrift(terms);
  return drift;
}

/** The weighted sum of the terms' array gradients (float32 rounding as on the engine), or null. */
function arrayDrift(terms: TfjsTerm[]): ArrayGradient | null {
  const parts = terms.map((t) => t.arrays!());
  if (parts.some((p) => !p)) return null;
  return (x, rows) => {
    let total: Float32Array | null = null;
    parts.forEach((part, i) => {
      const g = part!(x, rows);
      const w = Math.fround(terms[i].weight);
      if (w !== 1) for (let j = 0; j < g.length; j++) g[j] = Math.fround(g[j] * w);
      if (!total) total = g;
      else for (let j = 0; j < g.length; j++) total[j] = Math.fround(total[j] + g[j]);
    });
    return total!;
  };
}

/** f applied to consecutive row blocks of x (each ≤ rows), results concatenated; per-block temporaries freed. */
export function inRowChunks(x: Tensor2D, rows: number, f: (block: Tensor2D) => Tensor2D): Tensor2D {
  const n = x.shape[0];
  const parts: Tensor2D[] = [];
  for (let start = 0; start < n; start += rows) {
    const size = Math.min(rows, n - start);
    parts.push(tf.tidy(() => f(tf.slice(x, [start, 0], [size, -1]))));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

/**
 * `settings.steps` steps of x ← x − η ∇ₓΦ(x) + ν ξ from x0 (not disposed). `nextNoise` gives
 * each step's ξ (rows × dim), or is null when ν = 0; `observe` sees x after steps 0..K.
 * Returns a new tensor.
 */
export function eulerMaruyama(
  x0: Tensor2D,
  grad: Drift,
  settings: FlowSettings,
  nextNoise: (() => Float32Array) | null,
  observe?: (x: Tensor2D, k: number) => void,
): Tensor2D {
  const onArrays = grad.arrays?.() ?? null;
  if (onArrays) return eulerMaruyamaOnArrays(x0, onArrays, settings, nextNoise, observe);
  const shape = x0.shape;
  let x = tf.clone(x0);
  observe?.(x, 0);
  for (let k = 1; k <= settings.steps; k++) {
    const xi = settings.noise > 0 && nextNoise ? nextNoise() : null;
    const next = tf.tidy(() => {
      const stepped = tf.sub(x, tf.mul(grad(x), settings.eta));
      return (xi ? tf.add(stepped, tf.mul(tf.tensor2d(xi, shape), settings.noise)) : stepped) as Tensor2D;
    });
    x.dispose();
    x = next;
    observe?.(x, k);
  }
  return x;
}

/**
 * `eulerMaruyama` with the drift on plain arrays (fused CPU kernels): the same update, rounded
 * to float32 after each operation as the engine does. `observe` still sees tensors (made only
 * when there is an observer).
 */
function eulerMaruyamaOnArrays(
  x0: Tensor2D,
  grad: ArrayGradient,
  settings: FlowSettings,
  nextNoise: (() => Float32Array) | null,
  observe?: (x: Tensor2D, k: number) => void,
): Tensor2D {
  const [rows, dim] = x0.shape;
  const eta = Math.fround(settings.eta);
  const nu = Math.fround(settings.noise);
  const show = (values: Float32Array, k: number): void => {
    if (!observe) return;
    const t = tf.tensor2d(values, [rows, dim]);
    try {
      observe(t, k);
    } finally {
      t.dispose();
    }
  };
  // a fresh array per step: a tensor made from one may share its memory (cpu backend)
  let x = (x0.dataSync() as Float32Array).slice();
  show(x, 0);
  for (let k = 1; k <= settings.steps; k++) {
    const xi = settings.noise > 0 && nextNoise ? nextNoise() : null;
    const g = grad(x, rows);
    const next = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const stepped = Math.fround(x[i] - Math.fround(g[i] * eta));
      next[i] = xi ? Math.fround(stepped + Math.fround(xi[i] * nu)) : stepped;
    }
    x = next;
    show(x, k);
  }
  return tf.tensor2d(x, [rows, dim]);
}
