/**
 * Algorithm 1: each iteration draws a fresh prior batch, flows it K steps with the current
 * (online) net, takes one Adam step on the ratio loss of the flowed particles vs a data batch,
 * and updates the EMA weights. All randomness comes from one serialisable RNG.
 */
import { activeEngine, requireEngine, tf, type Tensor2D } from '../engine/index.js';
import type { RunConfig } from '../config/schema.js';
import { DataError, isImageDataset, type ImageDataset, type PointDataset } from '../data/types.js';
import { imagesToFloat } from '../data/images/dataset.js';
import { fitNormalizer, identityNormalizer, normalize, type DegenerateColumn } from '../data/normalizer.js';
import {
  checkSameImageShape,
  dataGaussianPrior,
  dataPriorState,
  gaussianPrior,
  uniformPrior,
  type Prior,
  type PriorState,
} from '../priors/index.js';
import { DEFAULT_MIXTURE_COMPONENTS, DEFAULT_MIXTURE_WIDEN, dataMixturePrior } from '../priors/mixture.js';
import { defaultImageMixtureComponents, imageMixturePrior } from '../priors/cluster-mixture.js';
import { Adam } from '../optim/adam.js';
import { assignParams, readParams } from '../nets/params.js';
import { Rng } from '../util/rng.js';
import { runFlow } from '../flow/index.js';
import { FlowModel, flowNoise, type Derived } from '../flow/model.js';
import type { Checkpoint } from './checkpoint.js';
import { ExplosionWatch } from './explosion.js';

export interface StepStats {
  iteration: number;
  loss: number;
  lr: number;
  /** Euclidean norm of the loss gradient over all net parameters. */
  gradNorm: number;
  /** mean log r over the flowed particles (log-ratio nets): estimates KL(q‖p). */
  klEstimate?: number;
  /** mean r − 1 over the flowed particles (ratio nets): estimates χ²(q‖p). */
  chi2Estimate?: number;
}

/** Training diverged at `iteration`: the step was not applied (the weights are those of the iteration before). */
export class TrainingDivergedError extends Error {
  constructor(
    readonly iteration: number,
    message: string,
  ) {
    super(message);
  }
}

export class NonFiniteLossError extends TrainingDivergedError {
  constructor(iteration: number) {
    super(iteration, `the loss or its gradient became non-finite (NaN/Inf) at iteration ${iteration}`);
  }
}

/** A finite loss or gradient norm far above its running median (./explosion.ts). */
export class LossExplosionError extends TrainingDivergedError {
  constructor(iteration: number, what: string) {
    super(iteration, `${what} at iteration ${iteration}`);
  }
}

/** At most this many images are used to fit the data-dependent prior. */
export const PRIOR_FIT_MAX_IMAGES = 10000;

/** Up to `max` training images in [−1, 1] (no noise, no flips), a seeded subset when there are more. */
function imagesForFit(ds: ImageDataset, max: number, rng: Rng): Float32Array {
  const { count } = ds.train;
  if (count <= max) return imagesToFloat(ds.train);
  return imagesToFloat(ds.train, Array.from({ length: max }, () => rng.int(count)));
}

/**
 * The state of a run's data prior (translation): `priorSource` is the loaded source domain
 * (config.priorData), which must hold images of the target's shape. Flips follow the source
 * (never for digits) unless the run turns them off; the dequantisation σ is the run data's.
 */
function dataPriorSetup(config: RunConfig, dataset: PointDataset, priorSource: ImageDataset | undefined): PriorState {
  if (!isImageDataset(dataset)) {
    throw new DataError(`--prior-data ${config.priorData}: a data prior translates images, but the target ${dataset.name} is ${dataset.dim}-D points`);
  }
  if (!priorSource) {
    throw new Error(`deriveSetup: the data prior's source images (priorData '${config.priorData}') must be loaded and passed as priorSource`);
  }
  checkSameImageShape(priorSource, dataset);
  return dataPriorState(config.priorData!, priorSource, { size: config.imageSize, dequantize: dataset.dequantize, flip: config.flip });
}

/** The error for point data with constant columns, which cannot be standardised. */
function degenerateColumnError(name: string, columns: DegenerateColumn[]): DataError {
  const c = columns[0];
  const more = columns.length > 1 ? ` (and ${columns.length - 1} more column${columns.length > 2 ? 's' : ''})` : '';
  return new DataError(
    `${name}: column ${c.column + 1}${more} has a spread of ${c.spread.toPrecision(2)} around ${c.mean.toPrecision(6)}: its values are all equal ` +
      'to float32 precision, so standardising it would divide by ~0; drop the column, or train with --no-normalize',
  );
}

/**
 * Normaliser and prior fitted once from the data (deterministic given the seed). A data prior
 * (config.prior 'data') needs its loaded source dataset as `priorSource`.
 */
export async function deriveSetup(config: RunConfig, dataset: PointDataset, priorSource?: ImageDataset): Promise<Derived> {
  requireEngine('deriveSetup');
  const dim = dataset.dim;
  if (config.prior === 'data') {
    const prior = dataPriorSetup(config, dataset, priorSource);
    const image = (dataset as ImageDataset).image;
    return { dim, normalizer: identityNormalizer(dim), prior, image };
  }
  const fitRng = new Rng((config.seed ^ 0x0da7a5e7) >>> 0);
  const image = isImageDataset(dataset) ? dataset : null;
  const points = image ? imagesForFit(image, PRIOR_FIT_MAX_IMAGES, fitRng) : (dataset.points ?? dataset.sample(20000, fitRng));
  const degenerate: DegenerateColumn[] = [];
  const normalizer = config.normalize ? fitNormalizer(points, dim, degenerate) : identityNormalizer(dim);
  // constant pixels (an image's border) are normal; a constant coordinate of points is not
  if (!image && degenerate.length) throw degenerateColumnError(dataset.name, degenerate);
  let prior: Prior;
  if (config.prior === 'gaussian') prior = gaussianPrior(dim);
  else if (config.prior === 'uniform') prior = uniformPrior(dim);
  else if (config.prior === 'data-gmm' && image) {
    // images: k-means clusters, each a low-rank Gaussian, clamped to [−1, 1] as the data-dependent prior
    const components = config.priorComponents ?? defaultImageMixtureComponents(points.length / dim);
    prior = await imageMixturePrior(normalize(points, dim, normalizer), dim, components, fitRng, { widen: config.priorWiden ?? 0, clamp: !config.normalize });
  } else if (config.prior === 'data-gmm') {
    const components = config.priorComponents ?? DEFAULT_MIXTURE_COMPONENTS;
    prior = dataMixturePrior(normalize(points, dim, normalizer), dim, components, fitRng, config.priorWiden ?? DEFAULT_MIXTURE_WIDEN);
  }
  // images: the authors clamp the data-dependent prior's draws to the data range [−1, 1]
  else prior = await dataGaussianPrior(normalize(points, dim, normalizer), dim, 1e-4, { clamp: image !== null && !config.normalize });
  return { dim, normalizer, prior: prior.toJSON(), ...(image ? { image: image.image } : {}) };
}

export function learningRateAt(config: RunConfig, iteration: number): number {
  const drops = config.lrMilestones.filter((m) => m <= iteration).length;
  return config.lr * Math.pow(config.lrGamma, drops);
}

export class Trainer {
  readonly model: FlowModel;
  readonly adam: Adam;
  rng: Rng;
  /** Iterations completed. */
  iteration = 0;
  /** Running medians of the loss and gradient norm (a restore starts them afresh). */
  private explosionWatch = new ExplosionWatch();

  /** `prior`: the run's prior when already built (a data prior, with its loaded source images). */
  constructor(
    readonly config: RunConfig,
    readonly dataset: PointDataset,
    readonly derived: Derived,
    prior?: Prior,
  ) {
    const root = new Rng(config.seed);
    this.model = new FlowModel(config, derived, root.fork(1), prior);
    this.adam = new Adam(this.model.net.params);
    this.rng = root.fork(2);
    activeEngine().prepare?.({ rows: config.batch, heavy: Boolean(derived.image) });
  }

  private get allState() {
    return [...this.model.net.params, ...this.model.ema.params, ...this.adam.state];
  }

  /**
   * One iteration of Algorithm 1. Throws NonFiniteLossError on NaN/Inf and LossExplosionError
   * on a finite blow-up, both before the update (weights untouched).
   */
  async step(): Promise<StepStats> {
    const { config, model } = this;
    const { dim } = this.derived;
    const n = config.batch;
    const i = this.iteration;
    const lr = learningRateAt(config, i);

    const x0 = tf.tensor2d(model.prior.sample(n, this.rng), [n, dim]);
    const settings = { steps: config.flowSteps, eta: config.eta, noise: config.noise, quietSteps: Math.min(config.flowSteps, config.trainQuietSteps ?? 0) };
    // one draw from the serialisable RNG seeds this iteration's chunked flow noise, so a
    // resume replays it exactly whatever the thread count
    const noise = flowNoise(this.rng.nextU32(), this.derived);
    let flowed: Tensor2D;
    try {
      flowed = (await runFlow(x0, [model.ratioTerm(true)], settings, noise)).x;
    } finally {
      x0.dispose();
    }
    const raw = this.dataset.sample(n, this.rng);
    let data = tf.tensor2d(normalize(raw, dim, this.derived.normalizer), [n, dim]);
    const sigma = config.instanceNoise ?? 0;
    if (sigma > 0) {
      // the loss sees both batches through the same noise level (drawn from the run's RNG: resume stays exact)
      const noisy = (t: Tensor2D): Tensor2D => {
        const out = tf.tidy(() => tf.add(t, tf.mul(tf.tensor2d(this.rng.normalArray(n * dim), [n, dim]), sigma))) as Tensor2D;
        t.dispose();
        return out;
      };
      flowed = noisy(flowed);
      data = noisy(data);
    }

    let result;
    try {
      result = await activeEngine().trainingGradients(model.net, model.loss, flowed, data);
    } finally {
      flowed.dispose();
      data.dispose();
    }
    const { loss, meanOut: m, gradNorm, grads: gradList } = result;
    // a finite loss with overflowing gradients would write NaN weights: stop before the update
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      tf.dispose(gradList);
      throw new NonFiniteLossError(i + 1);
    }
    const exploded = this.explosionWatch.check(loss, gradNorm);
    if (exploded) {
      tf.dispose(gradList);
      throw new LossExplosionError(i + 1, exploded);
    }
    this.adam.apply(gradList, lr);
    tf.dispose(gradList);
    model.ema.update(model.net.params);
    this.iteration = i + 1;
    return model.logRatioNet
      ? { iteration: this.iteration, loss, lr, gradNorm, klEstimate: m }
      : { iteration: this.iteration, loss, lr, gradNorm, chi2Estimate: m - 1 };
  }

  async checkpoint(): Promise<Checkpoint> {
    return {
      iteration: this.iteration,
      rng: this.rng.state(),
      adamStep: this.adam.step,
      tensors: await readParams(this.allState),
    };
  }

  restore(c: Checkpoint, source = 'checkpoint'): void {
    assignParams(this.allState, c.tensors, source);
    this.iteration = c.iteration;
    this.adam.step = c.adamStep;
    this.rng = new Rng(c.rng);
    this.explosionWatch = new ExplosionWatch();
  }

  dispose(): void {
    this.model.dispose();
    this.adam.dispose();
  }
}
