/**
 * A trained (or training) DGGF model: the ratio net with its EMA copy, the prior, the data
 * normaliser and the flow settings. Samples by flowing prior draws with the EMA weights.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';
import type { RunConfig } from '../config/schema.js';
import { createRatioNet, netSpec, type RatioNet } from '../nets/ratio-net.js';
import type { ImageShape } from '../data/types.js';
import { Ema } from '../nets/ema.js';
import { getLoss, type RatioLoss } from '../losses/index.js';
import { priorFromState, type Prior, type PriorState } from '../priors/index.js';
import { denormalize, type NormalizerState } from '../data/normalizer.js';
import { Rng } from '../util/rng.js';
import { FlowNoise, ratioTerm, runFlow, type FlowTerm } from './index.js';
import { inRowChunks } from './core.js';

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
  trajectory?: { step: number; points: Float32Array }[];
  /** Mean log-ratio at every step (with `klCurve`, log-ratio nets). */
  kl?: number[];
  /** At the final samples: mean log r (log-ratio nets), an estimate of KL(q‖p). */
  klEstimate?: number;
  /** At the final samples: mean r − 1 (ratio nets), an estimate of χ²(q‖p). */
  chi2Estimate?: number;
}

export class FlowModel {
  readonly net: RatioNet;
  readonly ema: Ema;
  readonly prior: Prior;
  readonly loss: RatioLoss;

  constructor(
    readonly config: RunConfig,
    readonly derived: Derived,
    initRng: Rng,
  ) {
    this.net = createRatioNet(netSpec(config.net, derived.dim, derived.image), initRng);
    this.ema = new Ema(this.net.params, config.emaDecay);
    this.prior = priorFromState(derived.prior);
    this.loss = getLoss(config.loss);
  }

  get logRatioNet(): boolean {
    return this.loss.output === 'log-ratio';
  }

  /** Net outputs for a batch, in row blocks when the net limits its batch (memory). */
  output(x: Tensor2D, weights?: Tensor[]): Tensor2D {
    const rows = this.net.maxRows;
    // a forward pass alone keeps about a third of what forward + backward does
    return rows && x.shape[0] > 3 * rows ? inRowChunks(x, 3 * rows, (b) => this.net.apply(b, weights)) : this.net.apply(x, weights);
  }

  /** The ratio term of the flow's potential with online or EMA weights. */
  ratioTerm(online: boolean): FlowTerm {
    return ratioTerm(this.net, this.config.divergence, this.loss.output, online ? undefined : this.ema.variables);
  }

  sample(n: number, opts: SampleOptions): SampleResult {
    const rng = new Rng(opts.seed);
    const dim = this.derived.dim;
    const steps = opts.steps ?? this.config.flowSteps + this.config.sampleExtraSteps;
    const weights = opts.online ? undefined : this.ema.variables;
    const x0 = tf.tensor2d(this.prior.sample(n, rng), [n, dim]);
    const noise = flowNoise(rng.nextU32(), this.derived);
    const terms = [this.ratioTerm(Boolean(opts.online)), ...(opts.extraTerms ?? [])];
    const result = runFlow(x0, terms, { steps, eta: this.config.eta, noise: this.config.noise }, noise, {
      trajectoryEvery: opts.trajectoryEvery,
      logRatio: opts.klCurve && this.logRatioNet ? (x: Tensor2D) => this.output(x, weights) : undefined,
    });
    x0.dispose();
    const raw = result.x.dataSync() as Float32Array;
    const meanOut = tf.tidy(() => tf.mean(this.output(result.x, weights)).dataSync()[0]);
    result.x.dispose();
    const nz = this.derived.normalizer;
    return {
      samples: denormalize(raw, dim, nz),
      trajectory: result.trajectory?.map((t) => ({ step: t.step, points: denormalize(t.points, dim, nz) })),
      kl: result.kl,
      ...(this.logRatioNet ? { klEstimate: meanOut } : { chi2Estimate: meanOut - 1 }),
    };
  }

  /**
   * n samples flowed in batches of `batch` (memory stays bounded for large n); batch b has its
   * own seed derived from `seed`. The KL/χ² estimate is averaged over batches; the first batch
   * alone records the trajectory and the KL curve when asked.
   */
  sampleInBatches(
    n: number,
    opts: { seed: number; steps?: number; batch?: number; trajectoryEvery?: number; klCurve?: boolean },
  ): SampleResult {
    const batch = opts.batch ?? 250;
    const dim = this.derived.dim;
    const samples = new Float32Array(n * dim);
    let first: SampleResult | undefined;
    let estimate = 0;
    for (let start = 0, b = 0; start < n; start += batch, b++) {
      const m = Math.min(batch, n - start);
      const r = this.sample(m, {
        seed: opts.seed + 7919 * b,
        steps: opts.steps,
        ...(b === 0 ? { trajectoryEvery: opts.trajectoryEvery, klCurve: opts.klCurve } : {}),
      });
      samples.set(r.samples, start * dim);
      estimate += (r.klEstimate ?? r.chi2Estimate ?? 0) * m;
      first ??= r;
    }
    return {
      samples,
      trajectory: first?.trajectory,
      kl: first?.kl,
      ...(this.logRatioNet ? { klEstimate: estimate / n } : { chi2Estimate: estimate / n }),
    };
  }

  dispose(): void {
    this.net.dispose();
    this.ema.dispose();
  }
}
