/**
 * Named starting points for a run's configuration.
 * - `paper-toy`: the authors' toy configuration (configs/swissroll.yaml of clear-nus/fdrl).
 * - `toy`: our fast preset for any 2-D target, tuned to finish in about 2 minutes on 2 cores.
 * - `paper-32`, `paper-64`, `paper-128`: the authors' image settings and their ratio nets
 *   (configs/cifar10.yaml, celeba.yaml, lsun_church.yaml; src/models.py) for image folders of
 *   that size (GPU-scale work).
 * - `paper-translate-64`: the authors' cat→dog translation setting (configs/cat2dog.yaml) on
 *   64×64 images: `resnetshallow` with self-attention and spectral norm.
 * - `mnist-cpu`, `emoji-cpu`: small CNN presets that reach recognisable samples on 2 cores.
 * - `emoji-translate-cpu`, `openmoji-translate-cpu`: unpaired translation emoji-google →
 *   emoji-twitter and openmoji-black → openmoji-color with the small CNN (the prior draws the
 *   source domain's images; TRANSLATE_CPU holds the measured settings).
 */
import type { RunConfig } from './schema.js';

export type Preset = Omit<RunConfig, 'data' | 'seed' | 'preset'>;

/** Translation flows K + 10 steps, as the authors' (eval_im2im_translation.ipynb: n_flow_steps + 10). */
export const TRANSLATION_EXTRA_STEPS = 10;
/** Classifier-guided sampling flows K + 10 steps, as the authors' (class_conditional_flow.ipynb: n_flow_steps + 10). */
export const GUIDED_EXTRA_STEPS = 10;

export interface PresetEntry {
  description: string;
  /** What the preset is for; image presets pick κ from the prior (20 DDP, 10 uniform, 0 data). */
  kind: 'points' | 'images';
  config: Preset;
  /** The dataset a new run uses when no --data is given (translation presets name both domains). */
  data?: string;
  /** A GPU-scale setting: on a CPU one iteration takes minutes (`dggf train` says so before it starts). */
  gpuScale?: true;
}

const res = (channels: number, down = false) => ({ channels, down });
const stage = (channels: number, blocks: number, stride: 1 | 2 = 2) => ({ channels, blocks, stride });

/**
 * The authors' ratio nets (clear-nus/fdrl src/models.py), LeakyReLU 0.2: post-activation
 * BasicBlocks without biases, stride-2 3×3 convs and 1×1 stride-2 shortcuts to downsample
 * (src/nets/basic-resnet.ts). Self-attention, where a config asks for it, sits after stage 1
 * (32×32) or stage 2 (64 and 128), as in their code.
 */
export const AUTHORS_NETS = {
  /** ResNet32x32 (CIFAR-10): stem 128; 128 ×3, then 256 ×3 three times, each halving. */
  resnet32: { type: 'basic-resnet', stem: 128, stages: [stage(128, 3, 1), stage(256, 3), stage(256, 3), stage(256, 3)], activation: 'leaky_relu' },
  /** ResNet64x64 (CelebA): stem 64; 64 ×1, 128 ×2, 256 ×2, 256 ×2, each halving. */
  resnet64: { type: 'basic-resnet', stem: 64, stages: [stage(64, 1), stage(128, 2), stage(256, 2), stage(256, 2)], activation: 'leaky_relu' },
  /** ResNet128x128 (LSUN Church): stem 64; 64 ×1, 128 ×1, 128 ×2, 256 ×2, 256 ×2, each halving. */
  resnet128: { type: 'basic-resnet', stem: 64, stages: [stage(64, 1), stage(128, 1), stage(128, 2), stage(256, 2), stage(256, 2)], activation: 'leaky_relu' },
  /** ResNet64x64Shallow (`resnetshallow`, cat→dog): stem 64; one block each of 64, 128, 128, 256, each halving. */
  resnetshallow64: { type: 'basic-resnet', stem: 64, stages: [stage(64, 1), stage(128, 1), stage(128, 1), stage(256, 1)], activation: 'leaky_relu' },
} satisfies Record<string, Preset['net']>;

/**
 * Our pre-activation ResNets (`resnet`) for the same sizes: the paper presets' nets before they
 * took the authors' (runs made with them keep them in their config.json), and the net of the
 * bench's comparison with PyTorch (bench/torch_reference.py).
 */
export const PREACT_RESNETS = {
  32: { type: 'resnet', stem: 128, blocks: [res(128), res(128), res(128), ...[1, 2, 3].flatMap(() => [res(256, true), res(256), res(256)])], activation: 'leaky_relu' },
  64: { type: 'resnet', stem: 64, blocks: [res(64, true), res(128, true), res(128), res(256, true), res(256), res(256, true), res(256)], activation: 'leaky_relu' },
  128: {
    type: 'resnet',
    stem: 64,
    blocks: [res(64, true), res(128, true), res(128, true), res(128), res(256, true), res(256), res(256, true), res(256)],
    activation: 'leaky_relu',
  },
} satisfies Record<number, Preset['net']>;

/** The authors' image settings (method.md §3): LSIF-χ², DDP, η 3, ν 0.01, K 100 (+20), lr 1e-4. */
const paperImage = (imageSize: number, net: Preset['net']): Preset => ({
  divergence: 'chi2',
  loss: 'lsif',
  prior: 'data-gaussian',
  net,
  iterations: 100000,
  flowSteps: 100,
  sampleExtraSteps: 20,
  eta: 3,
  noise: 0.01,
  batch: 64,
  lr: 1e-4,
  lrMilestones: [80000, 90000],
  lrGamma: 0.1,
  emaDecay: 0.998,
  normalize: false,
  checkpointEvery: 1000,
  logEvery: 100,
  previewEvery: 1000,
  imageSize,
});

/** The default domains of paper-translate-64 (the emoji pair our translation presets use; the PNGs are 64×64). */
const TRANSLATE_PAPER = { source: 'emoji-google', target: 'emoji-twitter' } as const;

/**
 * Our CPU image presets: the small CNN (flatten head with a dense hidden layer of 128, spectral
 * norm; how `mnist-cpu` got it: its comment below), LR-KL from the mixture prior, instance noise
 * 0.1, short flows.
 */
const cpuImage = (extra: Partial<Preset>): Preset => ({
  divergence: 'kl',
  loss: 'lr',
  prior: 'data-gmm',
  net: { type: 'cnn', channels: [16, 32, 64], activation: 'leaky_relu', head: 'flatten', headHidden: [128], spectralNorm: true },
  instanceNoise: 0.1,
  // MNIST, seed 0: the online net started to win outright after ~1,600 iterations (loss 1.1 →
  // 0.07 by 2,000, KL estimate 0.3 → 3.8) while the EMA samples were still improving; 2,000 is
  // where we measured them (bench/RESULTS.md, FID 7.40). Flowing further in training (K 15,
  // η 3) did not help: the net won at ~1,250 iterations and FID was 7.80.
  iterations: 2000,
  flowSteps: 10,
  sampleExtraSteps: 20,
  eta: 2,
  noise: 0.01,
  batch: 64,
  lr: 2e-4,
  lrMilestones: [],
  lrGamma: 0.1,
  emaDecay: 0.998,
  normalize: false,
  checkpointEvery: 250,
  // a grid of EMA samples at every log line (64 flows of K + κ steps: ~3% of the time)
  logEvery: 50,
  previewEvery: 50,
  ...extra,
});

/**
 * Translation on 2 CPU cores (prior: the source domain's training images, no noise prior). The
 * authors translate with LSIF-χ², K = 100 (110 at test) and 40k iterations on a GPU; the
 * settings here were chosen by measurement with `npm run eval:translate` (bench/RESULTS.md,
 * "Translation experiments").
 */
const translateCpu = (source: string, target: string, settings: TranslateCpuSettings = TRANSLATE_CPU): PresetEntry => ({
  kind: 'images',
  description:
    `translation ${source} → ${target} (prior: the source's training images) with the small CNN on 2 CPU cores: ` +
    `LR-KL, K ${settings.flowSteps} (the authors: LSIF-χ², K 100 on a GPU), ` +
    `η ${settings.eta}, instance noise ${settings.instanceNoise}, batch ${settings.batch}, ${settings.iterations} iterations; translates in K + ${settings.sampleExtraSteps} steps`,
  data: target,
  config: cpuImage({
    imageSize: 32,
    prior: 'data',
    priorData: source,
    flowSteps: settings.flowSteps,
    // translation steps past K, chosen on training pairs with eval:translate (--choose-steps)
    sampleExtraSteps: settings.sampleExtraSteps,
    eta: settings.eta,
    instanceNoise: settings.instanceNoise,
    batch: settings.batch,
    lr: settings.lr,
    lrMilestones: [...settings.lrMilestones],
    iterations: settings.iterations,
    emaDecay: settings.emaDecay,
    checkpointEvery: 100,
    logEvery: 25,
    previewEvery: 100,
  }),
});

interface TranslateCpuSettings {
  flowSteps: number;
  eta: number;
  instanceNoise: number;
  batch: number;
  lr: number;
  lrMilestones: readonly number[];
  iterations: number;
  emaDecay: number;
  /** Steps past K when translating (κ), chosen on training pairs. */
  sampleExtraSteps: number;
}

const TRANSLATE_CPU: TranslateCpuSettings = {
  flowSteps: 8,
  eta: 10,
  instanceNoise: 0.2,
  batch: 32,
  lr: 5e-4,
  lrMilestones: [450],
  iterations: 600,
  emaDecay: 0.99,
  // K + 2 = 10 steps: the best balance of style and RMSE gain on 150 training pairs (b2)
  sampleExtraSteps: 2,
};

/**
 * OpenMoji line-art → colour: a longer training flow, trained longer (bench/RESULTS.md,
 * "Translation experiment: k16-1500"): RMSE gain to the true pair 9.8% → 13.7% at K steps (13.2%
 * at K + 2, judged colour style 87.5%), coloured fills a person sees; the same change left
 * Google → Twitter a texture (5.6% → 6.6%). K + 2 = 18 steps again, chosen on 150 random training
 * pairs: 16 steps 74.0% judged colour style / 13.7% RMSE gain, 17: 80.7% / 13.6%, 18: 90.7% / 13.2%,
 * 20: 92.0% / 11.6%.
 */
const TRANSLATE_OPENMOJI_CPU: TranslateCpuSettings = { ...TRANSLATE_CPU, flowSteps: 16, iterations: 1500, lrMilestones: [1100], sampleExtraSteps: 2 };

/** The `toy` preset's settings (also the base of `toy-fine`). */
const TOY: Preset = {
  divergence: 'kl',
  loss: 'lr',
  prior: 'gaussian',
  net: { hidden: 64, depth: 3, activation: 'leaky_relu' },
  iterations: 1400,
  flowSteps: 40,
  sampleExtraSteps: 5,
  sampleQuietSteps: 20,
  eta: 0.1,
  noise: 0.01,
  batch: 256,
  lr: 1e-3,
  lrMilestones: [1000],
  lrGamma: 0.2,
  emaDecay: 0.99,
  normalize: true,
  checkpointEvery: 250,
  logEvery: 25,
  previewEvery: 500,
};

export const PRESETS: Record<string, PresetEntry> = {
  'paper-toy': {
    kind: 'points',
    description: "the authors' toy setting: LSIF-χ², η 1, ν 0.01, K 200, batch 1024, lr 5e-5, 20k iterations",
    config: {
      divergence: 'chi2',
      loss: 'lsif',
      prior: 'gaussian',
      net: { hidden: 64, depth: 3, activation: 'leaky_relu' },
      iterations: 20000,
      flowSteps: 200,
      sampleExtraSteps: 0,
      eta: 1,
      noise: 0.01,
      batch: 1024,
      lr: 5e-5,
      lrMilestones: [5000, 10000, 15000],
      lrGamma: 0.1,
      emaDecay: 0.998,
      normalize: false,
      checkpointEvery: 1000,
      logEvery: 100,
      previewEvery: 1000,
    },
  },
  toy: {
    kind: 'points',
    description: 'fast preset for any 2-D target (about 30 s of training on 2 cores)',
    // Tuned on 8gaussians (seeds 0–2), 25gaussians, swissroll, 2spirals, checkerboard, rings,
    // moons and pinwheel (scratch runs recorded in bench/RESULTS.md). η = 0.1 with K = 40 was
    // stable in every run (K = 20 with η = 0.1 diverged once). Sampling adds 5 steps and runs
    // the last 20 of the 45 without noise: the last noise draws are not left on the samples
    // (less mass off thin supports at no cost in MMD). 20 extra quiet steps would bring more of
    // the mass still on its way at step K onto the support, but draw wide shapes too narrow
    // (moons, pinwheel, checkerboard): bench/QUALITY.md, Experiments.
    config: TOY,
  },
  'toy-fine': {
    kind: 'points',
    description:
      'thin supports and even mass for any 2-D target (about 1.5 min of training on 2 cores): toy from a mixture of 32 Gaussians fitted to the data (data-gmm), ' +
      'at batch 1,024, 2,400 iterations, 10 extra sampling steps (the last 20 quiet)',
    // bench/QUALITY.md, experiments 6, 7 and 10: batch 1,024 is the largest training-side gain on
    // thin supports; the extra quiet sampling steps finish the flow onto them (20 would draw
    // wide shapes too narrow); the longer training took what was left off the supports; the
    // widened mixture prior starts every part (a spiral's turns, 25 modes) with its share of the
    // mass, which the flow from N(0, I) could not carry across the empty space between parts;
    // its 32 components (the default) give every one of 25gaussians' modes its own (experiment 11).
    config: {
      ...TOY,
      prior: 'data-gmm',
      lrMilestones: [1800],
      batch: 1024,
      iterations: 2400,
      sampleExtraSteps: 10,
      checkpointEvery: 500,
      logEvery: 50,
      previewEvery: 600,
    },
  },
  // The paper presets run the authors' nets because they reproduce the authors' settings; our
  // pre-activation ResNets (PREACT_RESNETS) stay available as a net config.
  'paper-32': {
    kind: 'images',
    gpuScale: true,
    description:
      "the authors' CIFAR-10 setting (configs/cifar10.yaml): their ResNet32x32 (BasicBlocks, stem 128, 128 ×3 → 256 ×3 ×3, spectral norm), " +
      '32×32, LSIF-χ², DDP with full covariance, K 100 (+20), 100k iterations (GPU scale)',
    config: paperImage(32, { ...AUTHORS_NETS.resnet32, spectralNorm: true }),
  },
  'paper-64': {
    kind: 'images',
    gpuScale: true,
    description:
      "the authors' CelebA 64 setting (configs/celeba.yaml): their ResNet64x64 (BasicBlocks, stem 64, 64 → 128 ×2 → 256 ×2 ×2), 64×64, LSIF-χ², " +
      'DDP low rank (128) + diagonal (a 12,288² covariance does not fit), K 100 (+20) (GPU scale)',
    config: paperImage(64, AUTHORS_NETS.resnet64),
  },
  'paper-128': {
    kind: 'images',
    gpuScale: true,
    description:
      "the authors' LSUN Church setting (configs/lsun_church.yaml): their ResNet128x128 (BasicBlocks, stem 64, 64 → 128 → 128 ×2 → 256 ×2 ×2), " +
      '128×128, LSIF-χ², DDP low rank (128) + diagonal (a 49,152² covariance does not fit), K 100 (+20) (GPU scale)',
    config: paperImage(128, AUTHORS_NETS.resnet128),
  },
  'paper-translate-64': {
    kind: 'images',
    gpuScale: true,
    description:
      "the authors' cat→dog translation setting (configs/cat2dog.yaml) at 64×64: resnetshallow with self-attention and spectral norm, " +
      `LSIF-χ², prior: the source domain's training images, K 100 (+10), η 3, lr 1e-4 (×0.1 at 20k, 30k), 40k iterations (GPU scale); ` +
      `default domains ${TRANSLATE_PAPER.source} → ${TRANSLATE_PAPER.target} (cat2dog is not offline: --prior-data CATS --data DOGS)`,
    data: TRANSLATE_PAPER.target,
    config: {
      ...paperImage(64, { ...AUTHORS_NETS.resnetshallow64, attentionAfter: 2, spectralNorm: true }),
      prior: 'data',
      priorData: TRANSLATE_PAPER.source,
      iterations: 40000,
      lrMilestones: [20000, 30000],
      sampleExtraSteps: TRANSLATION_EXTRA_STEPS,
    },
  },
  'mnist-cpu': {
    kind: 'images',
    description:
      'small CNN (flatten head with a dense hidden layer of 128, spectral norm) for 28×28 digits on 2 CPU cores: LR-KL, from a mixture of low-rank Gaussians on k-means clusters of the images (data-gmm: 64 on MNIST, one per 85 images on smaller sets), K 10 (+20), η 2, instance noise 0.1, lr 2e-4 (×0.1 at 1,850), 2,300 iterations (11–14 min on 2 cores with ONNX Runtime)',
    // A short flow with a larger step keeps an iteration near 1 s on 2 cores. MNIST, seed 0
    // (bench/RESULTS.md): the mean-pool head (a 12×12 receptive field) judged patches and gave
    // strokes (FID 7.40); a flatten head sees where strokes are (6.20) but its online net won
    // outright at ~950 iterations; instance noise 0.1 held it to ~1,150 (5.82); with the lr
    // dropped ×0.1 at 1,000 it stayed stable to 2,000 (5.12); spectrally normalised kernels
    // (a smoother estimator, the same time per iteration) gave 4.18 and stay stable at the high
    // lr longer: dropping it at 1,500 gave 3.76; 2,500 iterations with the drop at 2,000 gave
    // 3.68 as the mean of three sample/real draws (3,000 with the drop at 2,400: 3.61). A dense
    // hidden layer of 128 between the flattened features and the output (a nonlinear read-out
    // instead of a linear one), 3,000 iterations with the drop at 2,400: 2.83 in 51.3 min (16.7
    // on ONNX Runtime), half of the grid scribbles and the 1s at 5%. Starting from a mixture of
    // Gaussians on k-means clusters of the digits (data-gmm) instead of the one DDP, every
    // particle starts near some kind of digit: 20 clusters, 2,500 iterations (drop at 2,000):
    // 1.10 in 14.0 min; 40 clusters: 0.87 in 15.2 min; 40 clusters, 2,300 iterations (drop at
    // 1,850): 0.90 in 14.1 min, the 1s at 13.3%; 64 clusters (the default for 10,000 fitted
    // images since): 0.719 in 10.5 min, every digit at 8.3–12.6% (bench/RESULTS.md, "MNIST quality").
    config: cpuImage({
      iterations: 2300,
      lrMilestones: [1850],
    }),
  },
  'emoji-cpu': {
    kind: 'images',
    description:
      "32×32 colour images on 2 CPU cores with mnist-cpu's CNN (flatten head, dense 128, spectral norm): LR-KL, from data-gmm (40 clusters on the 3,403 Google emoji), K 10 (+20), η 2, instance noise 0.1, lr 2e-4 (×0.1 at 3,200), 4,000 iterations (32 min on 2 cores with ONNX Runtime)",
    // Google emoji, seed 0 (bench/RESULTS.md): the small mean-pool CNN from the DDP with full
    // covariance, 2,000 iterations: FID 3.33, category shares 0.49–2.63× the data's;
    // mnist-cpu's net and instance noise from the DDP, 4,000 iterations: 2.37 (0.51–3.25×);
    // the same from data-gmm: 0.53 (0.86–1.60×), about four samples in ten read as emoji.
    config: cpuImage({
      imageSize: 32,
      iterations: 4000,
      lrMilestones: [3200],
    }),
  },
  'emoji-translate-cpu': translateCpu('emoji-google', 'emoji-twitter'),
  'openmoji-translate-cpu': translateCpu('openmoji-black', 'openmoji-color', TRANSLATE_OPENMOJI_CPU),
};

export const PRESET_NAMES = Object.keys(PRESETS);

/**
 * Default κ (extra sampling steps) of image presets for a prior, as the authors: 20 from the
 * data-dependent prior (eval_ddp.py: 120 steps for K 100; also from our mixture of them,
 * data-gmm, which `mnist-cpu` measured with κ 20), 10 from the uniform one, and 10 for
 * translation, i.e. a data prior (eval_im2im_translation.ipynb: n_flow_steps + 10).
 */
export function imageExtraSteps(prior: RunConfig['prior'], fallback: number, presetPrior?: RunConfig['prior']): number {
  // a translation preset keeps its own κ (the CPU ones were measured by eval:translate; paper-translate-64 has the authors' 10)
  if (prior === 'data' && presetPrior === 'data') return fallback;
  return prior === 'data-gaussian' || prior === 'data-gmm' ? 20 : prior === 'uniform' ? 10 : prior === 'data' ? TRANSLATION_EXTRA_STEPS : fallback;
}