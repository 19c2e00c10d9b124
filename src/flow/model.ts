/**
 * A trained (or training) DGGF model: the ratio net with its EMA copy, the prior, the data
 * normaliser and the flow settings. Samples by flowing prior draws with the EMA weights.
 */
import { activeEngine, requireEngine, tf, type Tensor2D } from '../engine/index.js';
import type { RunConfig } from '../config/schema.js';
import { createRatioNet, netSpec, type RatioNet } from '../nets/ratio-net.js';
import type { ImageShape } from '../data/types.js';
import { Ema } from '../nets/ema.js';
import { getLoss, type RatioLoss } from '../losses/index.js';
import { priorFromState, type Prior, type PriorState } from '../priors/index.js';
import { denormalize, normalize, type NormalizerState } from '../data/normalizer.js';
import { Rng } from '../util/rng.js';
import { FlowNoise, ratioTerm, runFlow, type FlowSettings, type FlowTerm } from './index.js';
import { sampleBatches, type BatchSampleOptions } from './batches.js';
import { phaseCounter, type OnProgress } from '../util/progress.js';

/** Rows per noise chunk for images: batches of 64 split into 4 chunks, so 2 threads share a flow. */
export const IMAGE_NOISE_CHUNK_ROWS = 16;

/** The flow noise of a run: image runs use smaller chunks (their particles are expensive). */
export function flowNoise(seed: number, derived: Derived): FlowNoise {
  return derived.image ? new FlowNoise(seed, IMAGE_NOISE_CHUNK_ROWS) : new FlowNoise(seed);
}

/** What a run derives from its data once, at creation (stored in config.json). */
export interface Derived {
  dim: number;
  normalizer: NormalizerState;
  prior: PriorState;
  /** Image runs: the shape of one image (points are flattened HWC). */
  image?: ImageShape;
}

export interface SampleOptions {
  seed: number;
  /** Flow steps (default: K + κ of the config). */
  steps?: number;
  /** Record particle snapshots every this many steps. */
  trajectoryEvery?: number;
  /** Record the mean log-ratio (KL estimate) at every step (log-ratio nets only). */
  klCurve?: boolean;
  /** Use the online weights instead of the EMA (default false). */
  online?: boolean;
  /** Extra flow terms added to the ratio term (guidance). */
  extraTerms?: FlowTerm[];
}

export interface SampleResult {
  /** Samples in data space, row-major n×dim. */
  samples: Float32Array;
  /** The shape of `samples`: [n, dim] for points, [n, height, width, channels] for images (HWC, values in [−1, 1]). */
  shape: number[];
  trajectory?: { step: number; points: Float32Array }[];
  /** Mean log-ratio at every step (with `klCurve`, log-ratio nets). */
  kl?: number[];
  /** At the final samples: mean log r (log-ratio nets), an estimate of KL(q‖p). */
  klEstimate?: number;
  /** At the final samples: mean r − 1 (ratio nets), an estimate of χ²(q‖p). */
  chi2Estimate?: number;
}

export interface FlowFromOptions {
  seed: number;
  /** Flow steps (default: K of the config, the training flow's length). */
  steps?: number;
  /** Record snapshots of all points every this many steps (and the first and last). */
  trajectoryEvery?: number;
  /** Rows flowed at once (default 250). */
  batch?: number;
  /** Use the online weights instead of the EMA (default false). */
  online?: boolean;
  /** Progress: the points flowed so far (after each batch), as phase `phase` (default 'flowing images'/'flowing points'). */
  onProgress?: OnProgress;
  phase?: string;
}

export class FlowModel {
  readonly net: RatioNet;
  readonly ema: Ema;
  readonly prior: Prior;
  readonly loss: RatioLoss;

  /**
   * `prior`: the prior when the caller has built it already; a data prior (translation) must
   * be, since its source images are loaded outside this module (priorForRun in Node).
   */
  constructor(
    readonly config: RunConfig,
    readonly derived: Derived,
    initRng: Rng,
    prior?: Prior,
  ) {
    requireEngine('FlowModel');
    if (prior && (prior.name !== derived.prior.name || prior.dim !== derived.dim)) {
      throw new Error(`FlowModel: the given prior is '${prior.name}' (${prior.dim}-D), but the run's is '${derived.prior.name}' (${derived.dim}-D)`);
    }
    this.prior = prior ?? priorFromState(derived.prior);
    this.net = createRatioNet(netSpec(config.net, derived.dim, derived.image), initRng);
    this.ema = new Ema(this.net.params, config.emaDecay);
    this.loss = getLoss(config.loss);
  }

  /** What a sample is, in progress lines: 'images' or 'points'. */
  get unit(): string {
    return this.derived.image ? 'images' : 'points';
  }

  get logRatioNet(): boolean {
    return this.loss.output === 'log-ratio';
  }

  /** Net outputs [n] for a batch, on the engine, with the EMA weights (the online ones with `online`). */
  async outputs(x: Tensor2D, online = false): Promise<Float32Array> {
    return activeEngine().outputs(this.net, online ? undefined : this.ema.variables, x);
  }

  /** The ratio term of the flow's potential with online or EMA weights. */
  ratioTerm(online: boolean): FlowTerm {
    return ratioTerm(this.net, this.config.divergence, this.loss.output, online ? undefined : this.ema.variables);
  }

  /** A sampling flow of `steps` steps: η and ν of the run, its last `sampleQuietSteps` without noise. */
  samplingSettings(steps: number): FlowSettings {
    return { steps, eta: this.config.eta, noise: this.config.noise, quietSteps: Math.min(steps, this.config.sampleQuietSteps ?? 0) };
  }

  /** The shape of n samples: [n, dim] for points, [n, height, width, channels] for images. */
  sampleShape(n: number): number[] {
    const image = this.derived.image;
    return image ? [n, image.height, image.width, image.channels] : [n, this.derived.dim];
  }

  async sample(n: number, opts: SampleOptions): Promise<SampleResult> {
    const rng = new Rng(opts.seed);
    const dim = this.derived.dim;
    const steps = opts.steps ?? this.config.flowSteps + this.config.sampleExtraSteps;
    const x0 = tf.tensor2d(this.prior.sample(n, rng), [n, dim]);
    const noise = flowNoise(rng.nextU32(), this.derived);
    const terms = [this.ratioTerm(Boolean(opts.online)), ...(opts.extraTerms ?? [])];
    let result;
    try {
      result = await runFlow(x0, terms, this.samplingSettings(steps), noise, {
        trajectoryEvery: opts.trajectoryEvery,
        meanOutput: Boolean(opts.klCurve && this.logRatioNet),
      });
    } finally {
      x0.dispose();
    }
    const { values: raw, meanOut } = await this.readFlowed(result.x, opts.online, result.meanOutputs?.at(-1));
    const nz = this.derived.normalizer;
    return {
      samples: denormalize(raw, dim, nz),
      shape: this.sampleShape(n),
      trajectory: result.trajectory?.map((t) => ({ step: t.step, points: denormalize(t.points, dim, nz) })),
      kl: result.meanOutputs,
      ...(this.logRatioNet ? { klEstimate: meanOut } : { chi2Estimate: meanOut - 1 }),
    };
  }

  /**
   * n samples flowed in batches of `batch` (memory stays bounded for large n); batch b has its
   * own seed derived from `seed`. The KL/χ² estimate is averaged over batches; the first batch
   * alone records the trajectory and the KL curve when asked. `extraTerms` (e.g. classifier
   * guidance) are added to the ratio term in every batch.
   */
  async sampleInBatches(
    n: number,
    /** `onProgress`: samples flowed so far (after each batch), as phase `phase` (default 'sampling'). */
    opts: BatchSampleOptions & { onProgress?: OnProgress; phase?: string },
  ): Promise<SampleResult> {
    const dim = this.derived.dim;
    const samples = new Float32Array(n * dim);
    let first: SampleResult | undefined;
    let estimate = 0;
    const progress = phaseCounter(opts.onProgress, opts.phase ?? 'sampling', n, this.unit);
    for await (const { start, count, result: r } of sampleBatches(this, n, opts)) {
      samples.set(r.samples, start * dim);
      estimate += (r.klEstimate ?? r.chi2Estimate ?? 0) * count;
      first ??= r;
      progress.tick(count);
    }
    return {
      samples,
      shape: this.sampleShape(n),
      trajectory: first?.trajectory,
      kl: first?.kl,
      ...(this.logRatioNet ? { klEstimate: estimate / n } : { chi2Estimate: estimate / n }),
    };
  }

  /**
   * Flows n given data-space points (row-major n×dim; e.g. source-domain images for
   * translation) with the EMA weights (online with `online`) for `steps` steps (default K + κ, which
   * is K + 10 for translation presets: κ = 10 with a data prior) and returns them in data space. Runs in batches of `batch` rows
   * (default 250: bounded memory); batch b draws its flow noise from `seed + 7919·b`, so a seed
   * replays the same outputs. Parallel across threads as sampling is. The trajectory, when
   * asked, covers all n points; the KL/χ² estimate is the mean over all of them.
   */
  async flowFrom(x0: Float32Array, n: number, opts: FlowFromOptions): Promise<SampleResult> {
    const dim = this.derived.dim;
    if (!Number.isInteger(n) || n < 1 || x0.length !== n * dim) {
      throw new RangeError(`flowFrom: ${x0.length} values for n = ${n}, expected n ≥ 1 points of ${dim} values (${n * dim})`);
    }
    const steps = opts.steps ?? this.config.flowSteps + this.config.sampleExtraSteps;
    const batch = opts.batch ?? 250;
    const nz = this.derived.normalizer;
    const out = new Float32Array(n * dim);
    let trajectory: { step: number; points: Float32Array }[] | undefined;
    let estimate = 0;
    const progress = phaseCounter(opts.onProgress, opts.phase ?? `flowing ${this.unit}`, n, this.unit);
    for (let start = 0, b = 0; start < n; start += batch, b++) {
      const m = Math.min(batch, n - start);
      const rows = normalize(x0.subarray(start * dim, (start + m) * dim), dim, nz);
      const x = tf.tensor2d(rows, [m, dim]);
      const noise = flowNoise(new Rng(opts.seed + 7919 * b).nextU32(), this.derived);
      let result;
      try {
        result = await runFlow(x, [this.ratioTerm(Boolean(opts.online))], this.samplingSettings(steps), noise, {
          trajectoryEvery: opts.trajectoryEvery,
        });
      } finally {
        x.dispose();
      }
      const flowed = await this.readFlowed(result.x, opts.online);
      out.set(flowed.values, start * dim);
      estimate += flowed.meanOut * m;
      if (result.trajectory) {
        trajectory ??= result.trajectory.map((t) => ({ step: t.step, points: new Float32Array(n * dim) }));
        result.trajectory.forEach((t, i) => trajectory![i].points.set(t.points, start * dim));
      }
      progress.tick(m);
    }
    const meanOut = estimate / n;
    return {
      samples: denormalize(out, dim, nz),
      shape: this.sampleShape(n),
      trajectory: trajectory?.map((t) => ({ step: t.step, points: denormalize(t.points, dim, nz) })),
      ...(this.logRatioNet ? { klEstimate: meanOut } : { chi2Estimate: meanOut - 1 }),
    };
  }

  /**
   * Reads flowed particles back, with the mean net output over them (`known` when the flow
   * recorded it already); disposes `x`.
   */
  private async readFlowed(x: Tensor2D, online: boolean | undefined, known?: number): Promise<{ values: Float32Array; meanOut: number }> {
    try {
      let meanOut = known;
      if (meanOut === undefined) {
        const out = await this.outputs(x, online);
        meanOut = out.reduce((a, v) => a + v, 0) / out.length;
      }
      return { values: (await x.data()) as Float32Array, meanOut };
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    this.net.dispose();
    this.ema.dispose();
  }
}
