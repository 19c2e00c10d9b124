/** `dggf train` and `dggf demo`: resolve the config, train in a run folder, write the report. */
import path from 'node:path';
import fs from 'node:fs';
import { initEngine } from '../../engine/index.js';
import { resolveConfig } from '../../config/resolve.js';
import type { RunConfig, RunConfigInput } from '../../config/schema.js';
import { DataError, describeImageDataset, isImageDataset, resolveDataset, type ImageDataset, type PointDataset } from '../../data/index.js';
import { loadPriorSource } from '../../priors/image-source.js';
import { checkSameImageShape } from '../../priors/index.js';
import { datasetOptions } from '../../config/resolve.js';
import { ConfigError } from '../../config/schema.js';
import { checkDataFitsRun, reconcileConfig, trainRun } from '../../train/run.js';
import { writeImageRunReport } from '../../report/image-report.js';
import { imageGridPng } from '../../viz/index.js';
import { writeRunReport } from '../../report/run-report.js';
import { qualitySummary } from '../../report/summary.js';
import { firstTwo, samplesOverData } from '../../report/pictures.js';
import { Rng } from '../../util/rng.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import { createProgress } from '../progress.js';
import { createPhaseProgress, formatDuration, progressIntervalMs } from '../phase-progress.js';
import { PRESETS } from '../../config/presets.js';
import { EXIT } from '../errors.js';
import { signalExitCode, withInterrupts } from '../interrupt.js';
import { Run } from '../../train/run-folder.js';

export interface TrainCliOptions {
  data?: string;
  out: string;
  preset?: string;
  config?: string;
  divergence?: RunConfig['divergence'];
  loss?: RunConfig['loss'];
  prior?: RunConfig['prior'];
  iterations?: number;
  flowSteps?: number;
  eta?: number;
  noise?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  hidden?: number;
  depth?: number;
  activation?: RunConfig['net']['activation'];
  /** Conv nets: spectral normalisation of every kernel. */
  spectralNorm?: boolean;
  /** basic-resnet: SAGAN self-attention after this stage. */
  attentionAfter?: number;
  logEvery?: number;
  checkpointEvery?: number;
  previewEvery?: number;
  normalize?: boolean;
  extraSteps?: number;
  quietSteps?: number;
  trainQuietSteps?: number;
  priorComponents?: number;
  priorWiden?: number;
  size?: number;
  dequantize?: number;
  instanceNoise?: number;
  flip?: boolean;
  backend?: string;
  engine?: string;
  report?: boolean;
  /** Translation: the source domain (its training images are the prior). */
  priorData?: string;
}

export async function trainCommand(o: TrainCliOptions): Promise<number> {
  const net = Object.fromEntries(
    Object.entries({ hidden: o.hidden, depth: o.depth, activation: o.activation, spectralNorm: o.spectralNorm, attentionAfter: o.attentionAfter }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const overrides: RunConfigInput = {
    data: o.data,
    divergence: o.divergence,
    loss: o.loss,
    prior: o.prior,
    iterations: o.iterations,
    flowSteps: o.flowSteps,
    eta: o.eta,
    noise: o.noise,
    batch: o.batch,
    lr: o.lr,
    seed: o.seed,
    logEvery: o.logEvery,
    checkpointEvery: o.checkpointEvery,
    previewEvery: o.previewEvery,
    normalize: o.normalize,
    sampleExtraSteps: o.extraSteps,
    sampleQuietSteps: o.quietSteps,
    trainQuietSteps: o.trainQuietSteps,
    priorComponents: o.priorComponents,
    priorWiden: o.priorWiden,
    imageSize: o.size,
    dequantize: o.dequantize,
    instanceNoise: o.instanceNoise,
    flip: o.flip,
    priorData: o.priorData,
    ...(Object.keys(net).length ? { net } : {}),
  };
  // Everything is validated before the run folder is touched.
  const run = Run.open(o.out);
  const existing = run.stored;
  const { config: requested, explicitKeys, notes } = resolveConfig({
    preset: o.preset ?? existing?.config.preset,
    configFile: o.config,
    overrides,
    defaults: { data: existing?.config.data },
  });
  for (const note of notes) process.stderr.write(`dggf: note: ${note}\n`);
  // a resumed run loads its data with its own settings (e.g. imageSize from its --config) unless
  // given again; a bad --data is reported before a conflict with the run
  const forData = existing ? { ...existing.config, ...Object.fromEntries(explicitKeys.map((k) => [k, requested[k]])) } : requested;
  const loading = createPhaseProgress('data');
  const dataset = resolveDataset(requested.data, { ...datasetOptions(forData), onProgress: loading.onProgress });
  loading.stop();
  const { config } = reconcileConfig(run, requested, explicitKeys);
  if (existing) checkDataFitsRun(existing.derived, dataset, o.out);
  const image = isImageDataset(dataset) ? dataset : null;
  if (image) {
    process.stderr.write(`data: ${describeImageDataset(image)}\n`);
    for (const note of image.notes) process.stderr.write(`note: ${note}\n`);
  } else if (config.net.type !== undefined && config.net.type !== 'mlp') {
    throw new ConfigError(`net: a '${config.net.type}' net needs image data, but ${dataset.name} is ${dataset.dim}-D points; use an MLP preset such as toy`);
  }
  let priorSource: ImageDataset | undefined;
  if (config.priorData !== undefined) {
    if (!image) throw new DataError(`--prior-data ${config.priorData}: a data prior translates images, but --data ${dataset.name} is ${dataset.dim}-D points`);
    priorSource = loadPriorSource(config.priorData, { size: config.imageSize, onProgress: loading.onProgress });
    loading.stop();
    checkSameImageShape(priorSource, image);
    process.stderr.write(`prior: the training images of ${describeImageDataset(priorSource)} (its held-out split is left for translation)\n`);
    for (const note of priorSource.notes) process.stderr.write(`note: prior data: ${note}\n`);
  }
  await initEngine(o.backend, { engine: o.engine });
  if (PRESETS[config.preset]?.gpuScale) {
    process.stderr.write(
      `train: note: '${config.preset}' is a GPU-scale setting: on a CPU one iteration (${config.batch} particles flowed ${config.flowSteps} steps through its ResNet, ` +
        `then one training step) takes minutes (docs/progress.md); the first iteration's time and the projected total follow it, and a line every ${formatDuration(progressIntervalMs() / 1000)} until then\n`,
    );
  }

  const progress = createProgress(process.stderr, 'train');
  const dim = dataset.dim;
  const refRng = new Rng(config.seed + 7);
  const previewData = image ? null : firstTwo(dataset.sample(1000, refRng), dataset.dim);
  const renderPreview = image
    ? (samples: Float32Array, _ds: unknown, file: string) => {
        const grid = imageGridPng(samples, Math.min(64, samples.length / dim), image.image, { cols: 8 });
        writeFileAtomic(file, grid);
        writeFileAtomic(path.join(path.dirname(file), 'latest.png'), grid);
      }
    : (samples: Float32Array, ds: PointDataset, file: string, iteration: number) =>
        writeFileAtomic(file, samplesOverData(firstTwo(samples, dim), previewData!, ds, `${ds.name}, iteration ${iteration}`));
  const { result, signal } = await withInterrupts(
    async (signal) => {
      try {
        const r = await trainRun({
          run,
          config: requested,
          explicitKeys,
          dataset,
          onEvent: (e) => progress.onEvent(e),
          renderPreview: image || dim >= 2 ? renderPreview : undefined,
          priorSource,
          signal,
        });
        return { result: r, signal };
      } finally {
        progress.stop();
      }
    },
    () => progress.stop(),
  );
  if (result.status === 'diverged') return EXIT.diverged;
  if (signal.aborted) {
    // a signal after the last iteration: the run is complete, the report is left out
    if (result.status === 'done') process.stderr.write(`train: stopped by ${String(signal.reason)} after the last iteration; the report was not written\n`);
    return signalExitCode(signal);
  }
  const report = o.report ?? !result.alreadyComplete;
  if (!report && result.alreadyComplete) {
    const file = run.paths.report;
    process.stdout.write(fs.existsSync(file) ? `report: ${path.resolve(file)} (already written; --report writes it again)\n` : `report: none yet; --report writes it\n`);
  }
  if (report) {
    const phases = createPhaseProgress('report');
    try {
      if (image) {
        const rep = await writeImageRunReport(run, image, { log: (line) => phases.line(line.trimEnd()), onProgress: phases.onProgress });
        phases.stop();
        process.stdout.write(`${rep.summary}\nreport: ${path.resolve(rep.file)}\n`);
      } else {
        const rep = await writeRunReport(run, dataset, { onProgress: phases.onProgress });
        phases.stop();
        const ev = rep.evaluation;
        const diag = ev.kl_estimate !== undefined ? `KL estimate ${ev.kl_estimate.toFixed(3)}` : `χ² estimate ${ev.chi2_estimate?.toFixed(3)}`;
        process.stdout.write(`${qualitySummary(ev)}; ${diag}\nreport: ${path.resolve(rep.file)}\n`);
      }
    } finally {
      phases.stop();
    }
  }
  return EXIT.ok;
}

export async function demoCommand(o: { out: string; backend?: string; engine?: string; seed?: number }): Promise<number> {
  process.stdout.write(`dggf demo: training the 'toy' preset on 8gaussians into ${o.out}\n`);
  return trainCommand({ data: '8gaussians', out: o.out, preset: 'toy', seed: o.seed, backend: o.backend, engine: o.engine });
}
